import { existsSync, readFileSync } from "node:fs";
import { BakeError } from "../errors.js";
import { canonicalJson } from "../util/canonical-json.js";
import { digest } from "../util/digest.js";
import { parseHeader } from "./format.js";
import { entryId, shortId } from "./hash.js";
import { isWholeLine } from "./last-line.js";
import { isStoreLocation } from "./location.js";
import { withLock } from "./lock.js";
import { migrateEntry } from "./migrate.js";
import { missingManifestError } from "./open-options.js";
import { schemaProblems } from "./schema.js";
import type { ManifestEntry, TornTail } from "./types.js";

/** One thing wrong with one line. */
export interface FsckProblem {
  /** 1-based line number. */
  line: number;
  /** The id the line claims, when it has one. */
  id?: string;
  /** `not-json`, `unknown-line`, `schema`, `id-mismatch`, `not-canonical`, `chain-broken`, `duplicate-id`, `missing-parent`, `missing-layer`, `build-order`, `missing-target`, `torn-tail`. */
  code: string;
  message: string;
}

/** What `bake fsck` found. */
export interface FsckReport {
  path: string;
  ok: boolean;
  format?: string;
  lines: number;
  images: number;
  layers: number;
  events: number;
  lineages: number;
  problems: FsckProblem[];
  torn?: TornTail;
  /**
   * The last line, when it is whole but lacks its newline (an editor or a merge dropped it): checked like every
   * other line, and not a problem in itself (the next write adds the newline).
   */
  unterminated?: { line: number; offset: number };
  /**
   * Torn bytes an earlier write moved aside (not a problem: nothing acknowledged is in it), and how many of its lines
   * are whole lines all the same, when some are (an older bake moved there a last line that only lacked its newline).
   */
  tornFile?: { path: string; bytes: number; wholeLines?: number };
}

/**
 * Re-reads the manifest and checks every line, and resolves to the report (a Promise: it waits for the lock, and a
 * store location is copied first). Rejects with a `manifest-missing` BakeError when there is no manifest there.
 * Checks every line: JSON, schema, id against content, canonical bytes, the chain of
 * `prev` hashes, parent and layer links, build order and event targets. Holds the lock while reading, so it never
 * mistakes a write in progress for a torn line.
 */
export async function checkManifest(
  path: string,
  options: { lockTimeoutMs?: number } = {},
): Promise<FsckReport> {
  if (isStoreLocation(path)) {
    const { checkStore } = await import("./store/fsck-store.js");
    return checkStore(path, (copy) => checkManifest(copy, options));
  }
  if (!existsSync(path)) throw missingManifestError(path);
  try {
    return await withLock(path, { timeoutMs: options.lockTimeoutMs ?? 15_000 }, () => checkBytes(path));
  } catch (error) {
    // A read-only checkout (or a full disk) cannot take the lock; reading without it is still useful.
    if (error instanceof BakeError && UNLOCKED_READ.has(error.code)) return checkBytes(path);
    throw error;
  }
}

const UNLOCKED_READ = new Set<string>(["manifest-lock-failed", "manifest-disk-full"]);

function checkBytes(path: string): FsckReport {
  const bytes = readFileSync(path);
  const report: FsckReport = {
    path,
    ok: true,
    lines: 0,
    images: 0,
    layers: 0,
    events: 0,
    lineages: 0,
    problems: [],
  };
  const seen = new Map<string, { line: number; entry: ManifestEntry }>();
  const lastBuild = new Map<string, number>();
  let previousHash: string | undefined;
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    line += 1;
    if (end < 0 && line > 1 && isWholeLine(bytes.toString("utf8", start))) {
      report.unterminated = { line, offset: start };
      end = bytes.length;
    } else if (end < 0) {
      report.torn = { line, offset: start, bytes: bytes.length - start };
      report.problems.push({
        line,
        code: "torn-tail",
        message: `line ${line} is torn: ${bytes.length - start} bytes without a newline (a write cut short by a crash); the next write moves them to ${path}.torn`,
      });
      break;
    }
    const raw = bytes.subarray(start, end);
    const text = raw.toString("utf8");
    if (line === 1) {
      const header = parseHeader(text, path);
      report.format = header.format;
      for (const message of schemaProblems(header, "header"))
        report.problems.push({ line, code: "schema", message });
    } else {
      checkLine({ report, text, line, previousHash, seen, lastBuild });
    }
    previousHash = digest(raw);
    start = end + 1;
  }
  report.lines = line;
  report.lineages = new Set([...seen.values()].map(({ entry }) => entry.lineage)).size;
  const tornFile = `${path}.torn`;
  if (existsSync(tornFile)) report.tornFile = describeTornFile(tornFile);
  report.ok = report.problems.length === 0;
  return report;
}

// The .torn file, and how many of its lines are whole (moved there by a bake that took them for torn writes).
function describeTornFile(path: string): NonNullable<FsckReport["tornFile"]> {
  const bytes = readFileSync(path);
  const wholeLines = bytes
    .toString("utf8")
    .split("\n")
    .filter((line) => isWholeLine(line)).length;
  return { path, bytes: bytes.length, ...(wholeLines > 0 ? { wholeLines } : {}) };
}

function checkLine(input: {
  report: FsckReport;
  text: string;
  line: number;
  previousHash: string | undefined;
  seen: Map<string, { line: number; entry: ManifestEntry }>;
  lastBuild: Map<string, number>;
}): void {
  const { report, text, line, seen } = input;
  const problem = (code: string, message: string, id?: string) =>
    report.problems.push({ line, code, message, ...(id ? { id } : {}) });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    problem("not-json", `line ${line} is not JSON (${(error as Error).message})`);
    return;
  }
  const entry = typeof raw === "object" && raw !== null ? migrateEntry(raw) : undefined;
  if (!entry || typeof entry.id !== "string") {
    problem("unknown-line", `line ${line} is neither a record nor an event`);
    return;
  }
  const id = entry.id;
  const name = `${entry.type} ${shortId(id)} (line ${line})`;
  // Format 0.9 lines are checked as migrated, in the shape every reader sees them.
  const schema = schemaProblems(entry, entry.type);
  for (const message of schema) problem("schema", `${name}: ${message}`, id);
  const actual = entryId(raw);
  if (actual !== id) {
    problem("id-mismatch", `${name} was edited: its content hashes to ${shortId(actual)}, not to its id`, id);
  } else if (canonicalJson(raw) !== text) {
    problem("not-canonical", `${name} was edited: its bytes are not the canonical JSON bake wrote`, id);
  }
  if (input.previousHash !== undefined && entry.prev !== input.previousHash) {
    const before = line === 2 ? "line 1, the header" : `line ${line - 1}`;
    problem(
      "chain-broken",
      `${name}: the chain is broken before it (its prev does not match ${before}); a line was edited, removed or reordered`,
      id,
    );
  }
  if (seen.has(id)) problem("duplicate-id", `${name} repeats line ${seen.get(id)?.line}`, id);
  seen.set(id, { line, entry });
  // Links, build numbers and targets mean nothing on a line without the shape of a record or event (its parent
  // null, its build a string), and reading them would throw: the schema problems are what there is to report.
  if (schema.length > 0) return;
  if (entry.type === "record") {
    entry.kind === "image" ? report.images++ : report.layers++;
    if ("record" in entry.parent && !seen.has(entry.parent.record)) {
      problem(
        "missing-parent",
        `${name}: its parent ${shortId(entry.parent.record)} is not an earlier record`,
        id,
      );
    }
    for (const layer of entry.layers ?? []) {
      if (!seen.has(layer.record)) {
        problem(
          "missing-layer",
          `${name}: its layer ${layer.name} (${shortId(layer.record)}) is not an earlier record`,
          id,
        );
      }
    }
    if (entry.kind === "image" && entry.build !== undefined) {
      const last = input.lastBuild.get(entry.lineage) ?? 0;
      if (entry.build <= last) {
        problem("build-order", `${name}: ${entry.lineage}#${entry.build} comes after #${last}`, id);
      }
      input.lastBuild.set(entry.lineage, Math.max(last, entry.build));
    }
  } else {
    report.events++;
    const target = seen.get(entry.target)?.entry;
    if (target?.type !== "record") {
      problem("missing-target", `${name}: its target ${shortId(entry.target)} is not an earlier record`, id);
    }
  }
}
