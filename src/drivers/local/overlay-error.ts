import { release } from "node:os";
import { BakeError } from "../../errors.js";
import { lstat, stat, statfs } from "../../util/fs-async.js";

/** What was tried when an overlay mount failed, and what mount(8) said. */
export interface OverlayFailure {
  /** mount(8)'s message: the errno text of the mount syscall (its wording for EINVAL is vague). */
  said: string;
  /** The lower dirs, top first, as given to the mount. */
  lowers: readonly string[];
  upper: string;
  work: string;
}

// Filesystems overlayfs cannot take as an upper dir (statfs magic numbers from linux/magic.h).
const NO_UPPER = new Map<number, string>([
  [0x794c7630, "overlayfs (bake inside a container? put BAKE_STORE on a volume)"],
  [0x6969, "NFS"],
  [0xff534d42, "CIFS"],
  [0x65735546, "FUSE"],
]);

/**
 * The error for a failed overlay mount. The kernel explains itself only in its log, which unprivileged users
 * cannot read, so bake checks what overlayfs checks (every dir exists and is a directory, none given twice or
 * nested, upper and work on one filesystem it can write to, a kernel that mounts it in a user namespace) and names
 * the first thing wrong; otherwise it reports mount's own error. Both come with the exact options tried.
 */
export async function overlayMountError(failure: OverlayFailure): Promise<BakeError> {
  const cause = await diagnose(failure);
  const options = `lowerdir=${failure.lowers.join(":")},upperdir=${failure.upper},workdir=${failure.work},userxattr`;
  return new BakeError({
    code: "sandbox-overlay",
    message: `cannot mount the overlay: ${cause?.message ?? (failure.said || "mount failed without a message")}`,
    detail: `mount said: ${failure.said || "(nothing)"}\nmount -t overlay -o ${options}`,
    hint: cause?.hint ?? hintFor(failure.said),
  });
}

async function diagnose(failure: OverlayFailure): Promise<{ message: string; hint: string } | undefined> {
  const seen = new Set<string>();
  for (const dir of failure.lowers) {
    if (seen.has(dir)) {
      return {
        message: `layer directory ${dir} is given twice`,
        hint: "this is a bug in bake; please report it",
      };
    }
    seen.add(dir);
    const info = await lstat(dir).catch(() => undefined);
    if (!info) {
      return {
        message: `layer directory ${dir} does not exist`,
        hint: "the store changed while the sandbox started (bake gc, or a deleted .bake?); build again",
      };
    }
    if (!info.isDirectory()) {
      return {
        message: `layer directory ${dir} is not a directory`,
        hint: "the store is damaged; remove that path (or the store) and build again",
      };
    }
  }
  for (const dir of [failure.upper, failure.work]) {
    const outer = failure.lowers.find((lower) => dir.startsWith(`${lower}/`) || lower.startsWith(`${dir}/`));
    if (outer !== undefined) {
      return {
        message: `${dir} and the layer directory ${outer} overlap`,
        hint: "this is a bug in bake; please report it",
      };
    }
  }
  const upper = await stat(failure.upper).catch(() => undefined);
  const work = await stat(failure.work).catch(() => undefined);
  if (upper && work && upper.dev !== work.dev) {
    return {
      message: `the upper dir ${failure.upper} and the work dir ${failure.work} are on different filesystems`,
      hint: "keep the store's runs/ directory on one filesystem",
    };
  }
  const kind = NO_UPPER.get((await statfs(failure.upper).catch(() => undefined))?.type ?? -1);
  if (kind !== undefined) {
    return {
      message: `the store is on ${kind}, which overlayfs cannot use for its upper dir`,
      hint: "point BAKE_STORE (or the local target's store option) at a local disk",
    };
  }
  const [major = 0, minor = 0] = release().split(".").map(Number);
  if (process.getuid?.() !== 0 && (major < 5 || (major === 5 && minor < 11))) {
    return {
      message: `Linux ${release()} cannot mount overlayfs in a user namespace (that needs 5.11+ with userxattr)`,
      hint: "build as root, on a newer kernel, or use --target packer",
    };
  }
  return undefined;
}

function hintFor(said: string): string {
  if (/not permitted|Permission denied/i.test(said)) {
    return "this system forbids overlay mounts in user namespaces (a security policy?); build as root or use --target packer";
  }
  return "the mount options are shown above; use --target packer where overlayfs cannot be used";
}
