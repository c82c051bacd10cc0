import { BakeError } from "../errors.js";
import { nearest } from "../util/nearest.js";
import { printable } from "../util/printable.js";
import { describeRecord } from "./describe.js";
import { shortId } from "./hash.js";
import type { ManifestState } from "./state.js";
import type { ImageRecord } from "./types.js";

const FULL_ID = /^(?:sha256:)?([0-9a-f]{64})$/;
const PREFIX = /^(?:sha256:)?([0-9a-f]{4,63})$/;
const LINEAGE_REF = /^([a-z0-9][a-z0-9._-]*)(?:([@#])(.*))?$/;

/**
 * Resolves a reference, in this order: a full id; a lineage name, alone (its newest active image) or with
 * `@channel`, `@version` or `#build`; a unique id prefix of at least 4 hex digits. A lineage name wins over an id
 * prefix spelled the same, and a channel over a version spelled the same.
 */
export function resolveRef(state: ManifestState, path: string, ref: string): ImageRecord {
  const text = ref.trim();
  const full = FULL_ID.exec(text);
  if (full) {
    const record = state.byId.get(`sha256:${full[1]}`);
    if (record) return record;
    throw notFound(path, ref, `no record has the id sha256:${full[1]}`);
  }
  const named = LINEAGE_REF.exec(text);
  if (named && state.imagesByLineage.has(named[1] as string)) {
    return resolveInLineage(state, path, { ref, lineage: named[1] as string, sep: named[2], rest: named[3] });
  }
  const prefix = PREFIX.exec(text);
  if (prefix) {
    const wanted = `sha256:${prefix[1]}`;
    const matches = state.records.filter((record) => record.id.startsWith(wanted));
    if (matches.length === 1) return matches[0] as ImageRecord;
    if (matches.length > 1) throw ambiguous(path, ref, matches);
  }
  const lineage = named?.[1];
  const guess = lineage ? nearest(lineage, [...state.imagesByLineage.keys()]) : undefined;
  throw notFound(
    path,
    ref,
    named && !prefix ? `there is no lineage "${lineage}"` : "no lineage or record id matches it",
    guess ? `did you mean "${printable(guess)}"?` : undefined,
  );
}

function resolveInLineage(
  state: ManifestState,
  path: string,
  parts: { ref: string; lineage: string; sep?: string; rest?: string },
): ImageRecord {
  const images = state.imagesByLineage.get(parts.lineage) ?? [];
  if (parts.sep === undefined) {
    for (let i = images.length - 1; i >= 0; i--) {
      const image = images[i] as ImageRecord;
      if (state.statusName(image.id) === "active") return image;
    }
    const newest = images[images.length - 1] as ImageRecord;
    const status = state.status(newest.id);
    throw notFound(
      path,
      parts.ref,
      `${parts.lineage} has no active image (the newest, ${describeRecord(newest)}, is ${status.status}: ${printable(status.reason ?? "")})`,
      `name one exactly, such as ${describeRecord(newest)}`,
    );
  }
  const rest = parts.rest ?? "";
  if (parts.sep === "#") {
    const build = /^\d+$/.test(rest) ? Number(rest) : Number.NaN;
    const found = images.find((image) => image.build === build);
    if (found) return found;
    const builds = images.map((image) => image.build).filter((b) => b !== undefined);
    throw notFound(
      path,
      parts.ref,
      `${parts.lineage} has no build "${rest}"`,
      `its builds are #${Math.min(...builds)} to #${Math.max(...builds)}`,
    );
  }
  const channelTarget = state.channels.get(parts.lineage)?.get(rest);
  if (channelTarget) {
    const target = state.byId.get(channelTarget);
    if (target) return target;
    throw notFound(
      path,
      parts.ref,
      `${parts.lineage}@${rest} points at ${shortId(channelTarget)}, which is not in the manifest (its line was removed)`,
      "run `bake fsck`, and restore the removed line from git or a backup",
    );
  }
  for (let i = images.length - 1; i >= 0; i--) {
    if ((images[i] as ImageRecord).version === rest) return images[i] as ImageRecord;
  }
  const channels = [...(state.channels.get(parts.lineage)?.keys() ?? [])];
  const versions = [...new Set(images.map((image) => image.version))].reverse().slice(0, 8);
  throw notFound(
    path,
    parts.ref,
    `${parts.lineage} has no channel or version "${rest}"`,
    printable(`channels: ${channels.join(", ") || "(none)"}; recent versions: ${versions.join(", ")}`),
  );
}

function ambiguous(path: string, ref: string, matches: ImageRecord[]): BakeError {
  const lines = matches
    .slice(0, 10)
    .map((record) =>
      printable(`  ${record.id}  ${describeRecord(record)} (${record.kind}, ${record.version})`),
    );
  if (matches.length > 10) lines.push(`  ... and ${matches.length - 10} more`);
  return new BakeError({
    code: "ref-ambiguous",
    message: `"${ref}" is ambiguous: ${matches.length} records in ${path} have ids starting with it`,
    detail: lines.join("\n"),
    hint: `give more digits, such as ${shortId((matches[0] as ImageRecord).id)}`,
  });
}

function notFound(path: string, ref: string, why: string, hint?: string): BakeError {
  return new BakeError({
    code: "ref-not-found",
    message: `cannot resolve "${ref}" in ${path}: ${why}`,
    hint:
      hint ??
      "a reference is a record id (or a unique prefix of 4+ hex digits), LINEAGE, LINEAGE@CHANNEL, LINEAGE@VERSION or LINEAGE#BUILD; see `bake history`",
  });
}
