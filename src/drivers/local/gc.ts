import { join } from "node:path";
import { readdir, readFile, rm, stat } from "../../util/fs-async.js";
import { dropLease, readLeases } from "./lease.js";
import { digestHex, type ImageConfig, type ImageManifest, isDigest } from "./oci.js";
import { removeTree } from "./remove.js";
import { INDEX_ANNOTATIONS, processAlive, processStartTime, type Store } from "./store.js";

/** What `bake gc` removed (or, with `dryRun`, would remove). */
export interface GcReport {
  dryRun: boolean;
  /** Scratch directories of runs whose process is gone. */
  runs: { runId: string; pid?: number }[];
  /** Temp files and lease files of dead processes. */
  temps: string[];
  /** `index.json` entries no record references and no live run owns. */
  indexEntries: string[];
  blobs: { digest: string; size: number }[];
  /** Unpacked layer directories no kept image uses. */
  layerDirs: string[];
  /** Bytes of blobs removed. */
  bytes: number;
}

/**
 * Removes what killed runs left in the store (their scratch dirs and temp files, only when the owning process is
 * gone), then every image no manifest record references and no live run owns, and the blobs and unpacked layers
 * nothing kept uses. `roots` are artifact ids the lineage manifest records.
 */
export async function collectGarbage(input: {
  store: Store;
  roots: readonly string[];
  dryRun: boolean;
  /** Only remove things older than this (ms). @default 0 */
  olderThanMs?: number;
}): Promise<GcReport> {
  const { store, dryRun } = input;
  const cutoff = Date.now() - (input.olderThanMs ?? 0);
  const report: GcReport = {
    dryRun,
    runs: [],
    temps: [],
    indexEntries: [],
    blobs: [],
    layerDirs: [],
    bytes: 0,
  };
  const live = await sweepRuns(store, report, cutoff);
  await sweepTemps(store, report, cutoff);
  await store.withLock(async () => {
    // Read under the lock: a process holds an image in its lease before it adds the image to the index.
    const leased = await sweepLeases(store, report);
    live.oldestStart = Math.min(live.oldestStart, leased.oldestStart);
    const index = await store.readIndex();
    const roots = new Set([...input.roots.filter(isDigest), ...leased.images]);
    const kept = index.manifests.filter((entry) => {
      const run = entry.annotations?.[INDEX_ANNOTATIONS.run];
      return roots.has(entry.digest) || (run !== undefined && live.runIds.has(run));
    });
    report.indexEntries = index.manifests
      .filter((entry) => !kept.includes(entry))
      .map((entry) => entry.digest);
    const reachable = new Set<string>();
    const diffIds = new Set<string>();
    for (const digest of new Set([...kept.map((entry) => entry.digest), ...roots])) {
      await markImage(store, digest, reachable, diffIds);
    }
    const blobDir = join(store.root, "blobs", "sha256");
    for (const name of await readdir(blobDir).catch(() => [] as string[])) {
      const digest = `sha256:${name}`;
      if (reachable.has(digest)) continue;
      const info = await stat(join(blobDir, name)).catch(() => undefined);
      // Blobs written after a live run started may belong to it before its index entry exists.
      if (!info || info.mtimeMs > cutoff || info.mtimeMs >= live.oldestStart) continue;
      report.blobs.push({ digest, size: info.size });
      report.bytes += info.size;
      if (!dryRun) await rm(join(blobDir, name), { force: true });
    }
    const layersRoot = join(store.root, "layers");
    for (const key of await readdir(layersRoot).catch(() => [] as string[])) {
      for (const name of await readdir(join(layersRoot, key)).catch(() => [] as string[])) {
        // Layer dirs are named by their diff id; `<hex>.opaque.json` sidecars live and die with them.
        if (diffIds.has(`sha256:${name.slice(0, 64)}`)) continue;
        const path = join(layersRoot, key, name);
        const info = await stat(path).catch(() => undefined);
        if (!info || info.mtimeMs >= live.oldestStart) continue;
        report.layerDirs.push(path);
        if (!dryRun) await removeTree(path, store.mapping);
      }
    }
    if (!dryRun && report.indexEntries.length > 0) {
      await store.writeIndexUnlocked({ ...index, manifests: kept });
    }
  });
  return report;
}

async function markImage(
  store: Store,
  digest: string,
  reachable: Set<string>,
  diffIds: Set<string>,
): Promise<void> {
  let manifest: ImageManifest;
  try {
    manifest = JSON.parse((await store.readBlob(digest)).toString("utf8")) as ImageManifest;
  } catch {
    return;
  }
  reachable.add(digest);
  if (manifest.config?.digest) {
    reachable.add(manifest.config.digest);
    try {
      const config = JSON.parse(
        (await store.readBlob(manifest.config.digest)).toString("utf8"),
      ) as ImageConfig;
      for (const id of config.rootfs?.diff_ids ?? []) diffIds.add(id);
    } catch {
      // A missing config leaves nothing more to keep.
    }
  }
  for (const layer of manifest.layers ?? []) reachable.add(layer.digest);
}

// Run dirs hold "pid starttime"; a run is live only if that very process still exists.
async function sweepRuns(
  store: Store,
  report: GcReport,
  cutoff: number,
): Promise<{ runIds: Set<string>; oldestStart: number }> {
  const runsRoot = join(store.root, "runs");
  const runIds = new Set<string>();
  let oldestStart = Number.POSITIVE_INFINITY;
  for (const runId of await readdir(runsRoot).catch(() => [] as string[])) {
    const dir = join(runsRoot, runId);
    const pidFile = join(dir, "pid");
    const text = await readFile(pidFile, "utf8").catch(() => "");
    const [pidText, start] = text.trim().split(" ");
    const pid = Number(pidText);
    const info = await stat(dir).catch(() => undefined);
    const alive = pid > 0 && processAlive(pid) && (!start || processStartTime(pid) === start);
    if (alive) {
      runIds.add(runId);
      oldestStart = Math.min(oldestStart, info?.mtimeMs ?? 0);
      continue;
    }
    if (!text && info && info.mtimeMs > Date.now() - 60_000) continue; // being created right now
    if (info && info.mtimeMs > cutoff) continue;
    report.runs.push({ runId, ...(pid > 0 ? { pid } : {}) });
    if (!report.dryRun) await removeTree(dir, store.mapping);
  }
  return { runIds, oldestStart };
}

// Leases of live processes keep their images and every blob newer than the lease. The caller's own process is
// left out: \`bake gc\` never builds, and a program that builds and collects in one process decides itself when.
async function sweepLeases(
  store: Store,
  report: GcReport,
): Promise<{ images: Set<string>; oldestStart: number }> {
  const images = new Set<string>();
  let oldestStart = Number.POSITIVE_INFINITY;
  for (const lease of await readLeases(store.root)) {
    if (lease.pid === process.pid) continue;
    if (processAlive(lease.pid) && (!lease.start || processStartTime(lease.pid) === lease.start)) {
      for (const image of lease.images) if (isDigest(image)) images.add(image);
      oldestStart = Math.min(oldestStart, lease.since);
      continue;
    }
    report.temps.push(lease.path);
    if (!report.dryRun) await dropLease(lease.path);
  }
  return { images, oldestStart };
}

async function sweepTemps(store: Store, report: GcReport, cutoff: number): Promise<void> {
  const tmp = join(store.root, "tmp");
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const pid = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
    if (pid > 0 && processAlive(pid)) continue;
    const path = join(tmp, name);
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs > cutoff) continue;
    report.temps.push(path);
    if (!report.dryRun) await removeTree(path, store.mapping);
  }
}

/** Every artifact id a record list mentions: images, layers and external bases. */
export function recordRoots(
  records: readonly {
    driver: string;
    artifact: string;
    layers?: readonly { artifact: string }[];
    parent: { record: string } | { external: { id: string } };
  }[],
): string[] {
  const roots: string[] = [];
  for (const record of records) {
    if (record.driver !== "local") continue;
    roots.push(record.artifact);
    for (const layer of record.layers ?? []) roots.push(layer.artifact);
    if ("external" in record.parent) roots.push(record.parent.external.id);
  }
  return roots.filter((root) => isDigest(root) && digestHex(root).length === 64);
}
