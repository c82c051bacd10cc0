import { BakeError } from "../../errors.js";
import type { ParentSpec } from "../../plan/types.js";
import { stat } from "../../util/fs-async.js";
import type { ResolvedImage } from "../driver.js";
import type { Reporter } from "../events.js";
import type { ImportedArchive } from "./archive-import.js";
import { fingerprint, judge, nowNs, parseRemembered } from "./base-fingerprint.js";
import { hostIdentity } from "./host-base.js";
import type { IdMapping } from "./idmap.js";
import { DEFAULT_ENV, isoTime } from "./image-config.js";
import {
  type Descriptor,
  hostArchitecture,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  LABELS,
  MEDIA,
} from "./oci.js";
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
  /** Told when a `dir:` or archive base is imported (it changed, or it is new to this store). */
  onImport?: (message: string) => void;
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
      await requireDirectory(parent.location);
      return {
        ref: parent.ref,
        id: await recallOrImport(input, () => dirImage({ ...input, path: parent.location })),
      };
    case "oci-archive":
    case "docker-archive": {
      const scheme = parent.scheme;
      const importer =
        scheme === "oci-archive"
          ? () => ociArchiveImage(parent.location, store, input.runId, parent.ref)
          : () => dockerArchiveImage(parent.location, store, input.runId, parent.ref);
      const exists = await stat(parent.location).then(
        () => true,
        () => false,
      );
      // A missing archive gets importArchive's own error.
      return { ref: parent.ref, id: exists ? await recallOrImport(input, importer) : await importer() };
    }
    case "docker": {
      // Loaded only for registry bases: the skopeo runner and blob checks are not needed otherwise.
      const { registryImage } = await import("./registry/resolve.js");
      return registryImage(input);
    }
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
  const { captureLayer } = await import("./layer-tar.js");
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

async function requireDirectory(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new BakeError({
      code: "base-missing",
      message: `base directory ${path} does not exist`,
      hint: "from: dir:PATH takes a root filesystem directory, relative to the recipe",
    });
  }
}

// Importing a directory or an archive reads and hashes all of it (200-300 ms for a small root file system). A base
// whose stat fingerprint (base-fingerprint.ts) matches the one taken at its last import maps to the image imported
// then, as long as that image is still in the store; a racy match (timestamps too close to that import to prove
// anything) is imported again, which is the content check: the same content gives the same image.
async function recallOrImport(
  input: { parent: External; store: Store; onImport?: (message: string) => void },
  importer: () => Promise<string>,
): Promise<string> {
  const { parent, store } = input;
  const key = `base:${parent.scheme}:${parent.location}:${store.mapping.key}`;
  const remembered = parseRemembered(await store.recalled(key));
  const takenNs = nowNs();
  const current = fingerprint(parent.location);
  const verdict = remembered ? judge(remembered, current) : undefined;
  if (remembered && verdict === "unchanged") {
    await store.hold(remembered.id);
    if (await store.image(remembered.id)) return remembered.id;
  }
  const why = {
    none: "not imported before",
    unchanged: "its image is no longer in the store",
    racy: "changed too recently for its timestamps to tell, so its content is checked",
    changed: "it changed since its last import",
  }[verdict ?? "none"];
  input.onImport?.(`importing ${parent.ref}: ${why}`);
  const id = await importer();
  await store.remember(key, JSON.stringify({ id, digest: current.digest, takenNs: takenNs.toString() }));
  return id;
}

async function ociArchiveImage(path: string, store: Store, runId: string, ref: string): Promise<string> {
  const { importArchive } = await import("./archive-import.js");
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
  const { importArchive } = await import("./archive-import.js");
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
