import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { BakeError, InterruptedError } from "../../errors.js";
import { mkdir, mkdtemp, symlink, writeFile } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import { currentIdMapping, type IdMapping } from "./idmap.js";
import { type ImageView, resolveImageUser } from "./image-fs.js";
import { spawnNamespaced } from "./namespace.js";
import { overlayMountError } from "./overlay-error.js";
import { removeTree } from "./remove.js";

/** A host path made visible inside the sandbox. */
export interface SandboxBind {
  source: string;
  /** Absolute path inside the sandbox. */
  target: string;
  readonly: boolean;
}

/** Options for {@link runInSandbox}. */
export interface SandboxOptions {
  /** The image's unpacked layer directories, top first. */
  lowerDirs: string[];
  /** Where the sandbox's writes land (the new layer). @default a throwaway directory, removed afterwards */
  upperDir?: string;
  /** The program and its arguments, run inside the image (`["/bin/sh", "-c", script]` for a script). */
  argv: string[];
  /** The whole environment of the program; only these variables reach it. `PATH` and `HOME` get defaults. */
  env: Record<string, string>;
  network: "host" | "none";
  binds?: SandboxBind[];
  signal: AbortSignal;
  onOutput?: (stream: "stdout" | "stderr", line: string) => void;
  /** Kills the whole sandbox after this long and throws `step-timeout`. */
  timeoutMs?: number;
  /** `user`, `user:group`, `uid` or `uid:gid`, resolved in the image. @default root */
  user?: string;
  /** The working directory inside the image. @default / */
  workdir?: string;
  /** Where scratch directories go; must be on the same filesystem as `upperDir`. @default next to `upperDir`, else the OS temp dir */
  scratchDir?: string;
  /**
   * Called once the sandbox runs, with the host pid of the process that holds its namespaces (user, mount, pid and,
   * with `network: none`, network): `nsenter --target` it to join them. The program is that process's only child.
   */
  onStarted?: (sandbox: { pid: number }) => void;
  /** Share the network namespace of another sandbox (its `onStarted` pid) instead of `network`'s. */
  joinNetworkOf?: number;
}

/** What a sandboxed program did. */
export interface SandboxResult {
  exitCode: number;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SETUP_FAILED = 125;
const DEVICES = ["null", "zero", "full", "random", "urandom", "tty"];
const SETUP_MARK = "bake-sandbox: ";
const OVERLAY_MARK = "bake-sandbox-overlay: ";
const SHELL_ADDED = ["_", "SHLVL", "PWD", "OLDPWD"];

// Runs on the host's /bin/sh inside the new namespaces, before the step. Every value arrives as a positional
// parameter, except the step's environment: process arguments are public (`ps`), so it comes as a shell script on
// fd 5, a socket only this process holds (cat copies it into a variable: no value on any command line), and is
// evaluated once the mounts are done, so host tools never run with it.
const SETUP = `
fail() { echo "${SETUP_MARK}$*" >&2; exit ${SETUP_FAILED}; }
root=$1 lowers=$2 upper=$3 work=$4 dev=$5 net=$6 nbinds=$7; shift 7
if ! err=$(mount -t overlay overlay -o "lowerdir=$lowers,upperdir=$upper,workdir=$work,userxattr" "$root" 2>&1); then
  echo "${OVERLAY_MARK}$(printf %s "$err" | grep -v 'dmesg(1)' | tr '\n' ' ')" >&2; exit ${SETUP_FAILED}
fi
mount -t proc -o nosuid,nodev,noexec proc "$root/proc" || fail "cannot mount /proc"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp" || fail "cannot mount /tmp"
mount --bind "$dev" "$root/dev" || fail "cannot mount /dev"
for node in null zero full random urandom tty; do
  mount --bind "/dev/$node" "$root/dev/$node" || fail "cannot bind /dev/$node"
done
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm" || fail "cannot mount /dev/shm"
while [ "$nbinds" -gt 0 ]; do
  mount --rbind "$1" "$root$2" || fail "cannot bind $1 at $2"
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$root$2" || fail "cannot make $2 read-only"; fi
  shift 3; nbinds=$((nbinds - 1))
done
if [ "$net" = none ]; then ip link set lo up 2>/dev/null || true; fi
if [ "$net" = host ] && [ -f /etc/resolv.conf ] && [ -f "$root/etc/resolv.conf" ] && [ ! -L "$root/etc/resolv.conf" ]; then
  mount --bind /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null && mount -o remount,bind,ro "$root/etc/resolv.conf" 2>/dev/null
fi
stepenv=$(cat <&5) || fail "cannot read the step's environment (fd 5)"
exec 5<&-
eval "$stepenv"
exec "$@"
`;

/**
 * Runs one program in a rootless sandbox: new user, mount and pid namespaces (one `unshare` exec), an overlay of
 * `lowerDirs` with `upperDir` on top, a private /proc, a minimal /dev and a tmpfs /tmp, chrooted into the overlay.
 * Output streams to `onOutput` line by line. On abort or timeout the whole namespace is killed; mounts vanish with
 * it and scratch directories are removed, always.
 */
export async function runInSandbox(options: SandboxOptions): Promise<SandboxResult> {
  if (options.signal.aborted) throw abortReason(options.signal);
  const mapping = currentIdMapping();
  const scratchParent = options.scratchDir ?? (options.upperDir ? dirname(options.upperDir) : tmpdir());
  await makeDirectoriesAsync(scratchParent);
  const scratch = await mkdtemp(join(scratchParent, "sandbox-"));
  try {
    return await runWithScratch(options, scratch, mapping);
  } finally {
    await removeTree(scratch, mapping);
  }
}

async function runWithScratch(
  options: SandboxOptions,
  scratch: string,
  mapping: IdMapping,
): Promise<SandboxResult> {
  const upper = options.upperDir ?? join(scratch, "upper");
  const work = join(scratch, "work");
  const root = join(scratch, "root");
  const init = join(scratch, "init");
  const dev = join(scratch, "dev");
  await Promise.all([makeDirectoriesAsync(upper), mkdir(work), mkdir(root)]);
  const binds = options.binds ?? [];
  await Promise.all([makeInitLayer(init, binds), makeDevDir(dev)]);
  for (const dir of options.lowerDirs) {
    if (!existsSync(dir)) {
      throw new BakeError({
        code: "sandbox-layer-missing",
        message: `layer directory ${dir} does not exist`,
        hint: "the store changed underneath this build (bake gc, or a deleted .bake); build again",
      });
    }
  }
  const lowers = distinctLowers([init, ...options.lowerDirs]);
  const user = await userIds(options.user, { dirs: [upper, ...options.lowerDirs], binds }, mapping);
  const env = stepEnv(options.env, user.home);
  const unshareBin = hostTool("unshare");
  const argv = [
    root,
    lowerSpec(lowers),
    upper,
    work,
    dev,
    options.joinNetworkOf === undefined ? options.network : "none",
    String(binds.length),
    ...binds.flatMap((bind) => [bind.source, bind.target, bind.readonly ? "ro" : "rw"]),
    // The setup shell adds variables of its own (dash PWD; bash SHLVL and `_`, which it sets on exec itself):
    // env -u drops each one the step does not set.
    hostTool("env"),
    ...SHELL_ADDED.filter((name) => !Object.hasOwn(env, name)).flatMap((name) => ["-u", name]),
    unshareBin,
    `--root=${root}`,
    `--wd=${options.workdir ?? "/"}`,
    ...(user.uid === 0 && user.gid === 0 ? [] : [`--setgid=${user.gid}`, `--setuid=${user.uid}`]),
    "--",
    ...options.argv,
  ];
  const proc = await spawnNamespaced({
    argv: ["/bin/sh", "-c", SETUP, "sh", ...argv],
    mapping,
    sandbox: true,
    isolateNetwork: options.network === "none",
    ...(options.joinNetworkOf === undefined ? {} : { joinNamespacesOf: options.joinNetworkOf }),
    privateInput: envScript(env),
  });
  if (proc.child.pid !== undefined) options.onStarted?.({ pid: proc.child.pid });
  let timedOut = false;
  const onAbort = () => proc.kill();
  options.signal.addEventListener("abort", onAbort, { once: true });
  // An abort that landed while the sandbox was being set up has no listener to fire: act on it now.
  if (options.signal.aborted) onAbort();
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          proc.kill();
        }, options.timeoutMs);
  const setupErrors: string[] = [];
  let overlayError: string | undefined;
  const lines = (stream: "stdout" | "stderr") =>
    new Promise<void>((resolve) => {
      const reader = createInterface({
        input: stream === "stdout" ? proc.stdout : proc.stderr,
        crlfDelay: Infinity,
      });
      reader.on("line", (line) => {
        if (stream === "stderr" && line.startsWith(OVERLAY_MARK))
          overlayError = line.slice(OVERLAY_MARK.length).trim();
        else if (stream === "stderr" && line.startsWith(SETUP_MARK))
          setupErrors.push(line.slice(SETUP_MARK.length));
        else options.onOutput?.(stream, line);
      });
      reader.once("close", resolve);
    });
  try {
    const [exitCode] = await Promise.all([proc.exited, lines("stdout"), lines("stderr")]);
    if (options.signal.aborted) throw abortReason(options.signal);
    if (timedOut) {
      throw new BakeError({
        code: "step-timeout",
        message: `timed out after ${formatMs(options.timeoutMs ?? 0)}`,
        exitCode: 1,
      });
    }
    if (exitCode === SETUP_FAILED && overlayError !== undefined) {
      throw await overlayMountError({ said: overlayError, lowers, upper, work });
    }
    if (exitCode === SETUP_FAILED && setupErrors.length > 0) {
      throw new BakeError({
        code: "sandbox-unavailable",
        message: `cannot set up the sandbox: ${setupErrors.join("; ")}`,
        hint: "the local driver needs user namespaces and overlayfs; use --target packer where they are unavailable",
      });
    }
    return { exitCode };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort);
    proc.kill();
  }
}

// The top-most lower: mount points for /proc, /dev, /tmp and every bind, so mounting never writes to the upper dir.
async function makeInitLayer(init: string, binds: readonly SandboxBind[]): Promise<void> {
  await Promise.all(["proc", "dev", "tmp"].map((name) => makeDirectoriesAsync(join(init, name))));
  for (const bind of binds) {
    if (!bind.target.startsWith("/") || bind.target.split("/").includes("..")) {
      throw new BakeError({
        code: "sandbox-bind",
        message: `bind target must be an absolute path: ${bind.target}`,
      });
    }
    const target = join(init, bind.target);
    if (statSync(bind.source).isDirectory()) await makeDirectoriesAsync(target);
    else {
      await makeDirectoriesAsync(dirname(target));
      await writeFile(target, "");
    }
  }
}

// The sandbox's /dev: mount points for the host's harmless devices and the usual symlinks. It is bind-mounted,
// so writes to /dev land here and are thrown away, never in the layer.
async function makeDevDir(dev: string): Promise<void> {
  await makeDirectoriesAsync(join(dev, "shm"));
  await mkdir(join(dev, "pts"));
  await Promise.all([
    ...DEVICES.map((name) => writeFile(join(dev, name), "")),
    symlink("/proc/self/fd", join(dev, "fd")),
    symlink("/proc/self/fd/0", join(dev, "stdin")),
    symlink("/proc/self/fd/1", join(dev, "stdout")),
    symlink("/proc/self/fd/2", join(dev, "stderr")),
  ]);
}

// Overlayfs refuses a directory given twice ("conflicting lowerdir path"), which identical layers (two `run: true`
// layers have the same digest) produce. Keeping only the top-most occurrence changes nothing: a lower dir decides
// exactly the paths it holds (entries, whiteouts, opaque markers), and its top-most copy already decides all of them.
function distinctLowers(lowers: readonly string[]): string[] {
  return [...new Set(lowers)];
}

// Overlay options cannot hold commas or colons in paths, and the whole option string must fit in a page.
function lowerSpec(lowers: readonly string[]): string {
  for (const dir of lowers) {
    if (/[,:\\]/.test(dir)) {
      throw new BakeError({
        code: "sandbox-path",
        message: `layer directory ${dir} contains a comma, colon or backslash, which overlayfs cannot take`,
        hint: "move the store (BAKE_STORE) to a plain path",
      });
    }
  }
  const spec = lowers.join(":");
  if (spec.length > 3800) {
    throw new BakeError({
      code: "sandbox-layers",
      message: `too many layers for one overlay mount (${lowers.length})`,
      hint: "squash layers: fewer layers per recipe, or a shorter store path (BAKE_STORE)",
    });
  }
  return spec;
}

async function userIds(
  spec: string | undefined,
  view: ImageView,
  mapping: IdMapping,
): Promise<{ uid: number; gid: number; home: string }> {
  if (spec === undefined || spec === "root" || spec === "0" || spec === "0:0")
    return { uid: 0, gid: 0, home: "/root" };
  const user = await resolveImageUser(view, spec);
  if (mapping.kind === "single" && (user.uid !== 0 || user.gid !== 0)) {
    throw new BakeError({
      code: "sandbox-user",
      message: `cannot run as "${spec}" (uid ${user.uid}): this unprivileged user has no subordinate ids`,
      hint: "add a range for this user to /etc/subuid and /etc/subgid (and install uidmap), or run the step as root",
    });
  }
  return user;
}

function stepEnv(env: Readonly<Record<string, string>>, home: string): Record<string, string> {
  const out: Record<string, string> = { PATH: DEFAULT_PATH, HOME: home };
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new BakeError({ code: "sandbox-env", message: `invalid environment variable name "${name}"` });
    }
    if (value.includes("\0")) {
      throw new BakeError({
        code: "sandbox-env",
        message: `environment variable ${name} contains a NUL byte`,
      });
    }
    out[name] = value;
  }
  return out;
}

// Shell code that exports every variable of `env` (the shell's own additions are dropped by env -u); each value is
// exported single-quoted (a quote inside becomes '\''), so no value is ever parsed as code.
function envScript(env: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    lines.push(`export ${name}='${value.replaceAll("'", "'\\''")}'`);
  }
  return `${lines.join("\n")}\n`;
}

const toolPaths = new Map<string, string>();

// Host tools run after the step's PATH is in place, so they are found by absolute path beforehand.
function hostTool(name: "unshare" | "env"): string {
  let found = toolPaths.get(name);
  found ??= ["/usr/bin", "/bin", "/usr/local/bin"].map((dir) => `${dir}/${name}`).find((p) => existsSync(p));
  if (!found) {
    throw new BakeError({
      code: "sandbox-unavailable",
      message: `${name} (${name === "env" ? "coreutils" : "util-linux"}) is not installed`,
      hint: "install util-linux 2.38 or later and coreutils, or use --target packer",
    });
  }
  toolPaths.set(name, found);
  return found;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
