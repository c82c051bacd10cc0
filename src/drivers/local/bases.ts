import { stat } from "node:fs/promises";
import { BakeError } from "../../errors.js";
import type { ParentSpec } from "../../plan/types.js";
import type { ResolvedImage } from "../driver.js";
import type { Reporter } from "../events.js";
import { type ImportedArchive, importArchive } from "./archive-import.js";
import { hostIdentity } from "./host-base.js";
import type { IdMapping } from "./idmap.js";
import { DEFAULT_ENV, isoTime } from "./image-config.js";
import { captureLayer } from "./layer-tar.js";
import {
  type Descriptor,
  hostArchitecture,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  LABELS,
  MEDIA,
} from "./oci.js";
import { registryImage } from "./registry/resolve.js";
import type { Store } from "./store.js";

type External = Extract<ParentSpec, { kind: "external" }>;

/** Turns an external base reference into an image in the store, named by its manifest digest. */
export async function resolveBase(input: {
  parent: External;
  store: Store;
  mapping: IdMapping;
  runId: string;
  epoch: number;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  reporter: Reporter;
  /** The `platform` target option: what to pick from a registry image index. */
  platform?: string;
}): Promise<ResolvedImage> {
  const { parent, store } = input;
  switch (parent.scheme) {
    case "scratch":
      return { ref: parent.ref, id: await emptyImage(store, input.runId, {}, parent.ref) };
    case "host": {
      const identity = hostIdentity();
      const labels = { [LABELS.base]: "host", [LABELS.portable]: "false", "dev.bake.host": identity };
      return {
        ref: parent.ref,
        id: await emptyImage(store, input.runId, labels, parent.ref),
        details: { portable: "false", host: identity },
        warnings: [
          "the host base shows this machine's /usr, /etc and libraries read-only; images built on it are not portable",
        ],
      };
    }
    case "dir":
      return { ref: parent.ref, id: await dirImage({ ...input, path: parent.location }) };
    case "oci-archive":
    case "docker-archive":
      return { ref: parent.ref, id: await archiveImage({ ...input, scheme: parent.scheme }) };
    case "docker":
      return registryImage(input);
    default:
      throw new BakeError({
        code: "base-unsupported",
        message: `the local driver cannot use the base "${parent.ref}"`,
        hint: "use scratch, host, dir:PATH, oci-archive:PATH, docker-archive:PATH or docker://IMAGE, or build with --target gce/packer",
      });
  }
}

function baseConfig(
  labels: Record<string, string>,
  diffIds: string[],
  history: ImageConfig["history"],
): ImageConfig {
  return {
    created: isoTime(0),
    architecture: hostArchitecture(),
    os: "linux",
    config: { Env: DEFAULT_ENV, ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}) },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: history ?? [],
  };
}

async function emptyImage(
  store: Store,
  runId: string,
  labels: Record<string, string>,
  ref: string,
): Promise<string> {
  const config = await store.writeJsonBlob(baseConfig(labels, [], []), MEDIA.config);
  const annotations = labels[LABELS.portable]
    ? { [LABELS.portable]: labels[LABELS.portable] as string }
    : undefined;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config,
    layers: [],
    ...(annotations ? { annotations } : {}),
  };
  return store.addImage({ manifest, runId, kind: "base", ref });
}

async function dirImage(input: {
  path: string;
  store: Store;
  mapping: IdMapping;
  runId: string;
  epoch: number;
  parent: External;
}): Promise<string> {
  const info = await stat(input.path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new BakeError({
      code: "base-missing",
      message: `base directory ${input.path} does not exist`,
      hint: "from: dir:PATH takes a root filesystem directory, relative to the recipe",
    });
  }
  const captured = await captureLayer({
    readAs: "host",
    dir: input.path,
    store: input.store,
    mapping: input.mapping,
    epoch: input.epoch,
  });
  const config = await input.store.writeJsonBlob(
    baseConfig(
      {},
      [captured.diffId],
      [{ created: isoTime(0), created_by: `bake import ${input.parent.ref}` }],
    ),
    MEDIA.config,
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config,
    layers: [{ mediaType: MEDIA.layerGzip, digest: captured.digest, size: captured.size }],
  };
  return input.store.addImage({ manifest, runId: input.runId, kind: "base", ref: input.parent.ref });
}

// Importing an archive reads and hashes all of it; an unchanged file (same inode, size and mtime) maps to the
// image imported before, as long as that image is still in the store.
async function archiveImage(input: {
  parent: External;
  store: Store;
  runId: string;
  scheme: "oci-archive" | "docker-archive";
}): Promise<string> {
  const { parent, store, runId } = input;
  const info = await stat(parent.location).catch(() => undefined);
  const key = info
    ? `${input.scheme}:${parent.location}:${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`
    : undefined;
  if (key) {
    const known = await store.recalled(key);
    if (known) {
      await store.hold(known);
      if (await store.image(known)) return known;
    }
  }
  const id =
    input.scheme === "oci-archive"
      ? await ociArchiveImage(parent.location, store, runId, parent.ref)
      : await dockerArchiveImage(parent.location, store, runId, parent.ref);
  if (key) await store.remember(key, id);
  return id;
}

async function ociArchiveImage(path: string, store: Store, runId: string, ref: string): Promise<string> {
  const archive = await importArchive(path, store);
  const index = archive.json.get("index.json") as ImageIndex | undefined;
  if (!index?.manifests?.length) {
    // `docker save` from older engines writes only manifest.json: accept it here too.
    if (archive.json.has("manifest.json")) return dockerManifestImage(path, archive, store, runId, ref);
    throw new BakeError({
      code: "archive-invalid",
      message: `${path} has no index.json: not an OCI archive`,
    });
  }
  const manifest = await pickManifest(store, index, path);
  return registerImported(store, manifest, runId, ref);
}

async function pickManifest(store: Store, index: ImageIndex, path: string, depth = 0): Promise<Descriptor> {
  const arch = hostArchitecture();
  const candidates = index.manifests.filter(
    (m) => !m.platform || (m.platform.os === "linux" && m.platform.architecture === arch),
  );
  const chosen = candidates[0];
  if (!chosen) {
    throw new BakeError({ code: "archive-platform", message: `${path} has no image for linux/${arch}` });
  }
  if (chosen.mediaType === MEDIA.index || chosen.mediaType === MEDIA.dockerManifestList) {
    if (depth > 3)
      throw new BakeError({ code: "archive-invalid", message: `${path}: image index nests too deep` });
    const nested = JSON.parse((await store.readBlob(chosen.digest)).toString("utf8")) as ImageIndex;
    return pickManifest(store, nested, path, depth + 1);
  }
  return chosen;
}

async function registerImported(
  store: Store,
  descriptor: Descriptor,
  runId: string,
  ref: string,
): Promise<string> {
  const image = await store.image(descriptor.digest);
  if (!image) {
    throw new BakeError({
      code: "archive-invalid",
      message: `image ${descriptor.digest} in the archive is incomplete`,
    });
  }
  return store.addImage({ manifest: image.manifest, runId, kind: "base", ref });
}

async function dockerArchiveImage(path: string, store: Store, runId: string, ref: string): Promise<string> {
  const archive = await importArchive(path, store);
  return dockerManifestImage(path, archive, store, runId, ref);
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function dockerManifestImage(
  path: string,
  archive: ImportedArchive,
  store: Store,
  runId: string,
  ref: string,
): Promise<string> {
  const entries = archive.json.get("manifest.json") as DockerSaveEntry[] | undefined;
  const entry = entries?.[0];
  if (!entry?.Config || !Array.isArray(entry.Layers)) {
    throw new BakeError({
      code: "archive-invalid",
      message: `${path} has no manifest.json: not a docker-archive (docker save) tar`,
    });
  }
  const blob = (name: string) => {
    const found = archive.blobs.get(name);
    if (!found) throw new BakeError({ code: "archive-invalid", message: `${path}: ${name} is missing` });
    return found;
  };
  const config = blob(entry.Config);
  const layers: Descriptor[] = [];
  for (const name of entry.Layers) {
    const layer = blob(name);
    const head = await store.readBlobHead(layer.digest, 2);
    const gzipped = head[0] === 0x1f && head[1] === 0x8b;
    layers.push({
      mediaType: gzipped ? MEDIA.layerGzip : MEDIA.layerTar,
      digest: layer.digest,
      size: layer.size,
    });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
    layers,
  };
  return store.addImage({ manifest, runId, kind: "base", ref });
}
