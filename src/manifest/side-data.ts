import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { BakeError } from "../errors.js";
import { digest } from "../util/digest.js";
import { readFile, rename, rm, writeFileDurably } from "../util/fs-async.js";
import { makeDirectoriesAsync } from "../util/make-directories.js";
import { isStoreLocation } from "./location.js";
import type { ImageRecord } from "./types.js";

/**
 * Content-addressed data beside a manifest (an image's package inventory, say), referenced by digest from a
 * record, so it is as tamper-evident as the record: `<manifest dir>/.bake-data/sha256/<hex>`.
 */
export interface SideData {
  /** Stores the bytes (once: the same bytes have the same name) and returns their `sha256:<hex>` digest. */
  put(bytes: string | Uint8Array): Promise<string>;
  /** The bytes stored under a digest, re-hashed; throws a BakeError when missing or when they do not match. */
  get(id: string): Promise<Buffer>;
}

/**
 * Where a build keeps the image's package inventory, as `ExecuteOptions` takes it: the side data beside a file
 * manifest, or nothing (no inventory is taken) when `wanted` is false (`--no-inventory`) or the lineage lives in a
 * git or PostgreSQL store, which keep no side data yet.
 */
export function inventorySideData(manifestPath: string, wanted: boolean): { sideData?: SideData } {
  return wanted && !isStoreLocation(manifestPath) ? { sideData: sideDataFor(manifestPath) } : {};
}

/**
 * The side data store of the file manifest at `manifestPath`. Git and PostgreSQL stores keep none yet: a BakeError
 * says so (builds on them record no inventory).
 */
export function sideDataFor(manifestPath: string): SideData {
  if (isStoreLocation(manifestPath)) {
    throw new BakeError({
      code: "side-data-unsupported",
      message: "package inventories are kept beside file manifests only; this lineage is in a store",
      hint: "build with a file manifest (--manifest bake.lineage.jsonl) to record inventories",
    });
  }
  const root = join(dirname(manifestPath), ".bake-data", "sha256");
  const pathOf = (id: string) => {
    const match = /^sha256:([0-9a-f]{64})$/.exec(id);
    if (!match) {
      throw new BakeError({
        code: "side-data-id",
        message: `"${id}" is not a sha256 digest`,
        hint: "the record's reference was altered; run `bake fsck`",
      });
    }
    return join(root, match[1] as string);
  };
  return {
    async put(bytes) {
      const id = digest(bytes);
      const path = pathOf(id);
      await makeDirectoriesAsync(root);
      // Written whole and fsync'd before it gets its name, so a crash never leaves a partial file under a digest.
      const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      await writeFileDurably(temp, bytes, { mode: 0o644 });
      try {
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return id;
    },
    async get(id) {
      const path = pathOf(id);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch {
        throw new BakeError({
          code: "side-data-missing",
          message: `the data ${id} a record refers to is not at ${path}`,
          hint: "side data lives in .bake-data/ beside the manifest; copy or commit it with the manifest",
        });
      }
      const actual = digest(bytes);
      if (actual !== id) {
        throw new BakeError({
          code: "side-data-tampered",
          message: `${path} does not hold what the record refers to: its content hashes to ${actual}`,
          hint: "it was changed after bake wrote it; restore it from git or a backup, or rebuild the image",
        });
      }
      return bytes;
    },
  };
}

/** A record whose side data is missing or does not match its digest, as `bake fsck` reports it. */
export interface SideDataProblem {
  line: number;
  id: string;
  code: "side-data-missing" | "side-data-tampered" | "side-data-id";
  message: string;
}

/** Re-hashes the side data every record refers to (`details.sbom`), for `bake fsck`. */
export async function checkSideData(manifest: {
  path: string;
  records(): readonly ImageRecord[];
  lineOf(id: string): number | undefined;
}): Promise<SideDataProblem[]> {
  if (isStoreLocation(manifest.path)) return [];
  const store = sideDataFor(manifest.path);
  const problems: SideDataProblem[] = [];
  for (const record of manifest.records()) {
    const ref = record.details?.sbom;
    if (ref === undefined) continue;
    try {
      await store.get(ref);
    } catch (error) {
      if (!(error instanceof BakeError)) throw error;
      problems.push({
        line: manifest.lineOf(record.id) ?? 0,
        id: record.id,
        code: error.code as SideDataProblem["code"],
        message: `package inventory: ${error.message}`,
      });
    }
  }
  return problems;
}
