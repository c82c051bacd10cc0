import { createHash } from "node:crypto";
import { BakeError } from "../../../errors.js";
import type { ParentSpec } from "../../../plan/types.js";
import type { ResolvedImage } from "../../driver.js";
import type { Reporter } from "../../events.js";
import { type ImageIndex, MEDIA } from "../oci.js";
import type { Store } from "../store.js";
import { formatPlatform, hostPlatform, type Platform, parsePlatform, pickPlatform } from "./platform.js";
import { pullToStore } from "./pull.js";
import { asWritten, byDigest, parseRegistryReference, type RegistryReference } from "./reference.js";
import { skopeo } from "./skopeo.js";

type External = Extract<ParentSpec, { kind: "external" }>;

/** What a registry base needs from the driver. */
export interface RegistryBaseInput {
  parent: External;
  store: Store;
  runId: string;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  reporter: Reporter;
  /** `os/arch[/variant]` to pick from an image index. @default this machine's (linux/amd64, ...) */
  platform?: string;
}

/**
 * Resolves `docker://REGISTRY/REPO:TAG` (or `@sha256:DIGEST`) to the exact manifest for the target platform and
 * makes sure the store holds it. A tag costs one `skopeo inspect --raw` per build; a manifest already in the
 * store is never pulled again; a digest already seen needs no network at all. The id is the registry's
 * manifest digest; `details` carry the platform and, for an index, the index digest.
 */
export async function registryImage(input: RegistryBaseInput): Promise<ResolvedImage> {
  const reference = parseRegistryReference(input.parent.ref, input.parent.location);
  const wanted = input.platform ? (parsePlatform(input.platform) as Platform) : hostPlatform();
  const { store } = input;
  const known = reference.digest ? await offline(reference.digest, formatPlatform(wanted), store) : undefined;
  const exact = known ?? (await resolveOnline(reference, wanted, input));
  await store.hold(exact.digest);
  if (!(await store.image(exact.digest))) {
    await pullToStore({ ...input, reference, digest: exact.digest });
  }
  // Remembered so the same pinned index needs no registry next time.
  if (exact.index && reference.digest) {
    await store.remember(indexKey(exact.index, formatPlatform(wanted)), exact.digest);
  }
  const image = await store.requireImage(exact.digest);
  const { variant } = image.config as { variant?: string };
  const platform = formatPlatform({
    os: image.config.os,
    architecture: image.config.architecture,
    ...(variant ? { variant } : {}),
  });
  const warnings =
    !exact.index && (image.config.os !== wanted.os || image.config.architecture !== wanted.architecture)
      ? [
          `${reference.ref} is a ${platform} image, not ${formatPlatform(wanted)}; its programs may not run here`,
        ]
      : [];
  return {
    ref: input.parent.ref,
    id: exact.digest,
    details: { platform, ...(exact.index ? { index: exact.index } : {}) },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

interface Exact {
  /** The image manifest's digest. */
  digest: string;
  /** The index the reference named, when it named one. */
  index?: string;
}

// A pinned digest already in the store (a manifest, or an index whose pick was remembered) needs no registry.
async function offline(digest: string, platform: string, store: Store): Promise<Exact | undefined> {
  if (await store.image(digest)) return { digest };
  const picked = await store.recalled(indexKey(digest, platform));
  if (picked && (await store.image(picked))) return { digest: picked, index: digest };
  return undefined;
}

async function resolveOnline(
  reference: RegistryReference,
  wanted: Platform,
  input: RegistryBaseInput,
): Promise<Exact> {
  const run = { env: input.env, signal: input.signal, ref: reference.ref };
  const raw = await skopeo(["inspect", "--raw", asWritten(reference)], run);
  const digest = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
  if (reference.digest && digest !== reference.digest) {
    throw new BakeError({
      code: "base-corrupt",
      message: `${reference.ref}: the registry sent a manifest whose digest is ${digest}`,
      hint: "the registry's copy is damaged or was tampered with; nothing was added to the store",
    });
  }
  const document = parseJson(raw, reference.ref) as ImageIndex & { mediaType?: string };
  const isIndex =
    document.mediaType === MEDIA.index ||
    document.mediaType === MEDIA.dockerManifestList ||
    (document.mediaType === undefined && Array.isArray(document.manifests));
  if (!isIndex) return { digest };
  const chosen = pickPlatform({ manifests: document.manifests ?? [], wanted, ref: reference.ref });
  if (chosen.mediaType === MEDIA.index || chosen.mediaType === MEDIA.dockerManifestList) {
    throw new BakeError({
      code: "base-unsupported",
      message: `${reference.ref}: the index entry for ${formatPlatform(wanted)} is itself an index`,
      hint: `pin the image manifest instead: ${byDigest(reference, chosen.digest)}`,
    });
  }
  return { digest: chosen.digest, index: digest };
}

function parseJson(raw: Buffer, ref: string): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new BakeError({ code: "base-unsupported", message: `${ref}: the registry's manifest is not JSON` });
  }
}

function indexKey(index: string, platform: string): string {
  return `docker-index:${index}:${platform}`;
}
