import { BakeError } from "../errors.js";
import { canonicalJson } from "../util/canonical-json.js";
import { deepFreeze } from "./freeze.js";
import type { ManifestHeader } from "./types.js";

/** The format this bake writes. Readers accept any 1.x and migrate 0.9 on read. */
export const MANIFEST_FORMAT = "1.0";
const MAJOR = 1;
/** Older formats bake still reads. */
const READABLE_OLDER = new Set(["0.9"]);

/** The first line of a new manifest. */
export function headerLine(options: { createdAt: string; bakeVersion: string }): string {
  const header: ManifestHeader = {
    bake: "manifest",
    format: MANIFEST_FORMAT,
    createdAt: options.createdAt,
    bakeVersion: options.bakeVersion,
  };
  return canonicalJson(header);
}

/** Parses and checks the header line: a bake manifest, in a format this bake can read. */
export function parseHeader(text: string, path: string): ManifestHeader {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notAManifest(path, "its first line is not JSON");
  }
  if (typeof value !== "object" || value === null || (value as { bake?: unknown }).bake !== "manifest") {
    throw notAManifest(path, 'its first line is not a bake manifest header ({"bake":"manifest",...})');
  }
  const header = value as ManifestHeader;
  const match = /^(\d+)\.(\d+)$/.exec(String(header.format));
  if (!match) throw notAManifest(path, `its format "${String(header.format)}" is not MAJOR.MINOR`);
  const major = Number(match[1]);
  if (major > MAJOR) {
    throw new BakeError({
      code: "manifest-too-new",
      message: `${path}: this manifest was written by a newer bake (format ${major}.x); upgrade bake`,
      hint: `this bake (format ${MANIFEST_FORMAT}) reads formats up to ${MAJOR}.x; install a newer bake to read or write it`,
    });
  }
  if (major < MAJOR && !READABLE_OLDER.has(header.format)) {
    throw notAManifest(path, `its format ${header.format} is older than any this bake can migrate`);
  }
  // Handed out by Manifest.header(), like records: frozen, so no caller can change what the next call returns.
  return deepFreeze(header);
}

function notAManifest(path: string, why: string): BakeError {
  return new BakeError({
    code: "manifest-invalid",
    message: `${path} is not a bake lineage manifest: ${why}`,
    hint: "point --manifest or BAKE_MANIFEST at a bake.lineage.jsonl file; bake never overwrites a file it cannot read",
  });
}
