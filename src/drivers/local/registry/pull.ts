import { rm } from "../../../util/fs-async.js";
import type { Reporter } from "../../events.js";
import { MEDIA } from "../oci.js";
import type { Store } from "../store.js";
import { byDigest, type RegistryReference } from "./reference.js";
import { skopeo } from "./skopeo.js";
import { verifyPulledBlobs } from "./verify-blobs.js";

/**
 * Pulls one image manifest by digest into the store: `skopeo copy` into a scratch directory beside the store's
 * blobs (the `dir:` transport keeps the manifest's bytes, so its digest stays the registry's), a check of every
 * blob against its digest, and only then a move of the blobs and the manifest into the store. On any failure
 * the scratch directory is removed and the store is as it was.
 */
export async function pullToStore(input: {
  reference: RegistryReference;
  digest: string;
  store: Store;
  runId: string;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  reporter: Reporter;
}): Promise<void> {
  const { store, reference, digest } = input;
  const dir = store.tempPath("pull");
  const startedAt = Date.now();
  try {
    const source = byDigest(reference, digest);
    await skopeo(["copy", "--quiet", "--preserve-digests", source, `dir:${dir}`], {
      env: input.env,
      signal: input.signal,
      ref: reference.ref,
    });
    const checked = await verifyPulledBlobs({ dir, digest, ref: reference.ref });
    // Held first: gc in another process keeps what this lease holds, even before the index lists it.
    await store.hold(digest);
    for (const blob of checked.blobs) await store.adoptBlob(blob.path, blob.digest);
    await store.addManifestBytes({
      bytes: checked.manifestBytes,
      mediaType: checked.manifest.mediaType ?? MEDIA.manifest,
      runId: input.runId,
      kind: "base",
      ref: reference.ref,
    });
    const bytes = checked.blobs.reduce((sum, blob) => sum + blob.size, 0);
    input.reporter.emit({
      type: "note",
      message: `pulled ${source} (${checked.blobs.length} blobs, ${(bytes / 1e6).toFixed(1)} MB, every digest checked) in ${((Date.now() - startedAt) / 1000).toFixed(1)}s`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
