import { createReadStream, createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { BakeError } from "../../errors.js";
import { closeFile, openFile, rename, rm, statFile } from "../../util/fs-async.js";
import { digestHex, LABELS, OCI_LAYOUT_FILE, singleImageIndex } from "./oci.js";
import type { Store, StoredImage } from "./store.js";
import { TarWriter } from "./tar-writer.js";

/** Archive formats `bake export` writes. */
export type ArchiveFormat = "oci-archive" | "docker-archive";

/** What an export wrote. */
export interface ExportResult {
  file: string;
  format: ArchiveFormat;
  image: string;
  /** The name `docker load` gives the image, when the image carries a lineage and version. */
  tag?: string;
  /** False for images on a `host` base: the archive holds only bake's layers, not the OS under them. */
  portable: boolean;
  bytes: number;
}

/**
 * Writes an image as an OCI archive (with a Docker `manifest.json` beside `index.json`, so `docker load` and
 * `podman load` both accept it) or as a `docker save` archive with uncompressed layers. The file appears
 * atomically (a temp file renamed into place).
 */
export async function exportImage(input: {
  store: Store;
  image: StoredImage;
  format: ArchiveFormat;
  file: string;
}): Promise<ExportResult> {
  const { store, image } = input;
  const labels = image.config.config?.Labels ?? {};
  const tag = imageTag(labels);
  const portable = labels[LABELS.portable] !== "false";
  const temp = join(dirname(input.file), `.${Date.now()}-${process.pid}.bake-export.tmp`);
  const fd = await openFile(temp, "w").catch((error: NodeJS.ErrnoException) => {
    throw new BakeError({
      code: "export-output",
      message: `cannot write ${input.file}: ${error.code ?? error.message}`,
    });
  });
  const out = createWriteStream(temp, { fd });
  let bytes = 0;
  const counting = new Promise<void>((resolve, reject) => {
    out.once("close", resolve);
    out.once("error", reject);
  });
  try {
    const tar = new TarWriter(out);
    if (input.format === "oci-archive") await writeOci(tar, store, image, tag);
    else await writeDocker(tar, store, image, tag);
    await tar.finish();
    out.end();
    await counting;
    bytes = out.bytesWritten;
    await rename(temp, input.file).catch((error: NodeJS.ErrnoException) => {
      throw new BakeError({
        code: "export-output",
        message: `cannot write ${input.file}: ${error.code ?? error.message}`,
      });
    });
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  return {
    file: input.file,
    format: input.format,
    image: image.id,
    ...(tag ? { tag } : {}),
    portable,
    bytes,
  };
}

// `bake/<lineage>:<version>`, with the version made a valid tag.
function imageTag(labels: Record<string, string>): string | undefined {
  const lineage = labels[LABELS.lineage];
  const version = labels[LABELS.version];
  if (!lineage || !/^[a-z0-9]+([._-][a-z0-9]+)*$/.test(lineage)) return undefined;
  const tag =
    (version ?? "latest")
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .replace(/^[.-]+/, "")
      .slice(0, 128) || "latest";
  return `bake/${lineage}:${tag}`;
}

const FILE = { type: "file" as const, mode: 0o644, uid: 0, gid: 0, mtime: 0 };
const DIR = { type: "dir" as const, mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 };

async function writeOci(tar: TarWriter, store: Store, image: StoredImage, tag?: string): Promise<void> {
  const manifestBytes = await store.readBlob(image.id);
  const annotations: Record<string, string> = {
    ...(tag
      ? { "org.opencontainers.image.ref.name": tag.split(":")[1] as string, "io.containerd.image.name": tag }
      : {}),
  };
  const index = singleImageIndex({ ...image, manifestSize: manifestBytes.length, annotations });
  const docker = [
    {
      Config: `blobs/sha256/${digestHex(image.manifest.config.digest)}`,
      RepoTags: tag ? [tag] : [],
      Layers: image.manifest.layers.map((layer) => `blobs/sha256/${digestHex(layer.digest)}`),
    },
  ];
  await tar.entry({ ...FILE, name: "oci-layout", size: 0 }, Buffer.from(OCI_LAYOUT_FILE));
  await tar.entry({ ...FILE, name: "index.json", size: 0 }, Buffer.from(JSON.stringify(index)));
  await tar.entry({ ...FILE, name: "manifest.json", size: 0 }, Buffer.from(JSON.stringify(docker)));
  await tar.header({ ...DIR, name: "blobs/" });
  await tar.header({ ...DIR, name: "blobs/sha256/" });
  const seen = new Set<string>();
  for (const digest of [
    image.id,
    image.manifest.config.digest,
    ...image.manifest.layers.map((l) => l.digest),
  ]) {
    if (seen.has(digest)) continue;
    seen.add(digest);
    await copyFile(tar, `blobs/sha256/${digestHex(digest)}`, store.blobPath(digest));
  }
}

async function writeDocker(tar: TarWriter, store: Store, image: StoredImage, tag?: string): Promise<void> {
  const configHex = digestHex(image.manifest.config.digest);
  const layerNames: string[] = [];
  const written = new Set<string>();
  for (const [index, layer] of image.manifest.layers.entries()) {
    const diffId = image.config.rootfs.diff_ids[index] ?? layer.digest;
    const name = `${digestHex(diffId)}/layer.tar`;
    layerNames.push(name);
    if (written.has(name)) continue;
    written.add(name);
    const gzipped = (await store.readBlobHead(layer.digest, 2)).equals(Buffer.from([0x1f, 0x8b]));
    await tar.header({ ...DIR, name: `${digestHex(diffId)}/` });
    if (!gzipped) await copyFile(tar, name, store.blobPath(layer.digest));
    else {
      const size = await countBytes(gunzipped(store.blobPath(layer.digest)));
      await copyStream(tar, name, gunzipped(store.blobPath(layer.digest)), size);
    }
  }
  await copyFile(tar, `${configHex}.json`, store.blobPath(image.manifest.config.digest));
  const manifest = [{ Config: `${configHex}.json`, RepoTags: tag ? [tag] : null, Layers: layerNames }];
  await tar.entry({ ...FILE, name: "manifest.json", size: 0 }, Buffer.from(JSON.stringify(manifest)));
  if (tag) {
    const [repo, version] = tag.split(":") as [string, string];
    const repositories = {
      [repo]: { [version]: digestHex(image.config.rootfs.diff_ids.at(-1) ?? image.id) },
    };
    await tar.entry({ ...FILE, name: "repositories", size: 0 }, Buffer.from(JSON.stringify(repositories)));
  }
}

function gunzipped(path: string): Readable {
  return createReadStream(path).pipe(createGunzip());
}

async function countBytes(stream: Readable): Promise<number> {
  let size = 0;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

async function copyFile(tar: TarWriter, name: string, path: string): Promise<void> {
  const fd = await openFile(path, "r");
  let size: number;
  try {
    size = (await statFile(fd)).size;
  } finally {
    await closeFile(fd);
  }
  await copyStream(tar, name, createReadStream(path), size);
}

async function copyStream(tar: TarWriter, name: string, stream: Readable, size: number): Promise<void> {
  await tar.header({ ...FILE, name, size });
  let written = 0;
  for await (const chunk of stream) {
    written += (chunk as Buffer).length;
    await tar.body(chunk as Buffer);
  }
  if (written !== size)
    throw new BakeError({ code: "export-changed", message: `${name} changed while exporting` });
  await tar.pad(size);
}
