import { printable } from "../../util/printable.js";

/** Lines per segment file: a commit rewrites one file of at most this many lines, however long the history. */
export const SEGMENT_LINES = 256;
/** The file that names the branch's layout, so a future bake can tell (and refuse) one it does not know. */
export const LAYOUT_FILE = "bake-store.json";
/** The content of {@link LAYOUT_FILE} this bake writes and accepts. */
export const LAYOUT = `${JSON.stringify({ bake: "lineage-store", layout: "segments", segmentLines: SEGMENT_LINES })}\n`;
/** The directory of segment files. */
export const SEGMENT_DIR = "lineage";

/** An object as `git cat-file --batch` prints it. */
export interface GitObject {
  oid: string;
  type: string;
  data: Buffer;
}

// A raw tree object: entries of "<mode> <name>\0<20-byte id>".
export function parseTree(data: Buffer): Map<string, string> {
  const entries = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const nul = data.indexOf(0, at);
    const name = data.toString("utf8", data.indexOf(0x20, at) + 1, nul);
    entries.set(name, data.toString("hex", nul + 1, nul + 21));
    at = nul + 21;
  }
  return entries;
}

/** `000000.jsonl`, `000001.jsonl`, ... */
export function segmentName(index: number): string {
  return `${String(index).padStart(6, "0")}.jsonl`;
}

/** The lines of a segment file, without newlines. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  return (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
}

/** `bake: register web#12 sha256:3f2a9c...`, `bake: promote web#12 to stable`, or `bake: copy 40 lines`. */
export function commitMessage(lines: readonly string[]): string {
  const entries = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return {};
    }
  });
  const last = entries.filter((entry) => entry.type !== undefined);
  if (lines.length > 2 || last.length !== 1) return `bake: copy ${lines.length} lines`;
  const entry = last[0] as Record<string, unknown>;
  const id = String(entry.id ?? "");
  const name =
    entry.kind === "image"
      ? `${String(entry.lineage)}#${String(entry.build)}`
      : `${String(entry.lineage)} layer ${String((entry.layer as { name?: unknown } | undefined)?.name ?? "")}`;
  const text =
    entry.type === "record"
      ? `bake: register ${name} ${id}`
      : `bake: ${String(entry.event)} ${String(entry.lineage)}${entry.channel ? ` to ${String(entry.channel)}` : ""} ${String(entry.target ?? "")}`;
  return printable(text);
}
