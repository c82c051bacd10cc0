import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { BakeError } from "../../../errors.js";
import { readFile } from "../../../util/fs-async.js";
import { type Descriptor, digestHex, type ImageManifest, MEDIA } from "../oci.js";

/** A pulled blob whose bytes matched its digest, still in the pull directory. */
export interface CheckedBlob {
  digest: string;
  size: number;
  path: string;
}

/** A pulled manifest and its blobs, every one checked against its digest. */
export interface CheckedImage {
  manifestBytes: Buffer;
  manifest: ImageManifest;
  blobs: CheckedBlob[];
}

// Layer types the store can unpack (gzip is sniffed, plain tar is read as is).
const LAYERS: readonly string[] = [
  MEDIA.layerGzip,
  MEDIA.layerTar,
  MEDIA.dockerLayerGzip,
  "application/vnd.docker.image.rootfs.diff.tar",
];

/**
 * Checks a `skopeo copy ... dir:DIR` result before anything reaches the store: the manifest's bytes hash to
 * `digest`, and the config and every layer exist with the size and sha256 their descriptors give.
 * skopeo checks digests too; this check is bake's own, so the store never trusts a transport.
 */
export async function verifyPulledBlobs(input: {
  dir: string;
  digest: string;
  ref: string;
}): Promise<CheckedImage> {
  const manifestBytes = await readFile(join(input.dir, "manifest.json"));
  const actual = sha256(manifestBytes);
  if (actual !== input.digest) throw mismatch(input.ref, `manifest ${input.digest}`, actual);
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as ImageManifest;
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) {
    throw new BakeError({
      code: "base-unsupported",
      message: `${input.ref} (${input.digest}) is not an image manifest`,
      hint: "point from: at an image, or at an index that has one for target.platform",
    });
  }
  const unsupported = manifest.layers.find((layer) => !LAYERS.includes(layer.mediaType));
  if (unsupported) {
    throw new BakeError({
      code: "base-unsupported",
      message: `${input.ref} has a layer of type ${unsupported.mediaType}, which the local driver cannot unpack`,
      hint: "use an image with tar or gzip layers (zstd and foreign layers are not supported)",
    });
  }
  // Read side by side: while one blob is hashed, the next one's bytes are on their way from disk.
  const blobs = await Promise.all(
    [manifest.config, ...manifest.layers].map((descriptor) => checkBlob(input.dir, descriptor, input.ref)),
  );
  return { manifestBytes, manifest, blobs };
}

async function checkBlob(dir: string, descriptor: Descriptor, ref: string): Promise<CheckedBlob> {
  if (!/^sha256:[0-9a-f]{64}$/.test(descriptor.digest)) {
    throw new BakeError({
      code: "base-unsupported",
      message: `${ref} names a blob by ${descriptor.digest}; only sha256 digests are supported`,
    });
  }
  const path = join(dir, digestHex(descriptor.digest));
  const hash = createHash("sha256");
  let size = 0;
  try {
    // 1 MiB reads: hashing a large layer in 64 KiB chunks costs about half as much again.
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch {
    throw mismatch(ref, `blob ${descriptor.digest}`, "nothing (the blob is missing)");
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== descriptor.digest) throw mismatch(ref, `blob ${descriptor.digest}`, actual);
  if (size !== descriptor.size)
    throw mismatch(ref, `blob ${descriptor.digest} of ${descriptor.size} bytes`, `${size} bytes`);
  return { digest: descriptor.digest, size, path };
}

function mismatch(ref: string, what: string, got: string): BakeError {
  return new BakeError({
    code: "base-corrupt",
    message: `${ref}: ${what} does not match what was pulled (got ${got})`,
    hint: "the registry's copy is damaged or was tampered with; nothing was added to the store",
  });
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
