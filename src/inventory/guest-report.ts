import { posix } from "node:path";
import { BakeError } from "../errors.js";
import { collectInventory, type ImageFiles } from "./collect.js";
import type { PackageInventory } from "./types.js";

/**
 * The package databases a builder reports, and how: drivers that cannot read an image's files directly (packer,
 * gce) run `guestInventoryScript` as the builder's last step and feed its output lines, whatever channel carries
 * them (Packer's output, a serial port), to a `GuestInventoryReader`. Every line of the report starts with a
 * per-build marker and the files travel encoded (base64, or hex where there is no base64 tool), so nothing in a
 * package database can fake or end the report.
 */
export const REPORTED_FILES = [
  "/etc/os-release",
  "/usr/lib/os-release",
  "/var/lib/dpkg/status",
  "/lib/apk/db/installed",
] as const;

/** The largest database file the report carries; a bigger one makes the inventory fail, never truncate. */
export const REPORT_FILE_LIMIT = 32 * 1024 * 1024;
/** The most bytes a whole report may decode to. */
export const REPORT_TOTAL_LIMIT = 64 * 1024 * 1024;

/** The marker of one build's report: random per build, so a package database cannot know it in advance. */
export function reportMarker(nonce: string): string {
  if (!/^[A-Za-z0-9]+$/.test(nonce)) throw new RangeError("an inventory nonce is letters and digits only");
  return `bake-inventory:${nonce}`;
}

/**
 * A POSIX sh script that prints the image's package databases between `<marker>:start` and `<marker>:end`. It
 * reads files only, never fails (the image is already built) and sends nothing to stderr.
 */
export function guestInventoryScript(marker: string): string {
  return [
    "#!/bin/sh",
    "# bake: reports the image's package databases for its inventory (read only; changes nothing)",
    `m='${marker}'`,
    `limit=${REPORT_FILE_LIMIT}`,
    "if command -v base64 >/dev/null 2>&1; then enc=b64; else enc=hex; fi",
    'bake_enc() { if [ "$enc" = b64 ]; then base64; else od -An -v -tx1; fi; }',
    "bake_put() {",
    '  [ -f "$1" ] || return 0',
    "  p=$(printf '%s' \"$1\" | bake_enc | tr -d ' \\n')",
    "  size=$(wc -c < \"$1\" | tr -d ' ')",
    '  if [ "$size" -gt "$limit" ]; then echo "$m:big:$p:$size"; return 0; fi',
    '  echo "$m:file:$p:$size"',
    '  bake_enc < "$1" | sed "s/^/$m:d:/"',
    '  echo "$m:eof"',
    "}",
    "{",
    '  echo "$m:start:$enc"',
    `  for f in ${REPORTED_FILES.join(" ")}; do bake_put "$f"; done`,
    "  if [ -d /var/lib/dpkg/status.d ]; then",
    "    for f in /var/lib/dpkg/status.d/*; do",
    '      case "$f" in *.md5sums) ;; *) bake_put "$f" ;; esac',
    "    done",
    "  fi",
    '  echo "$m:end"',
    "} 2>/dev/null",
    "exit 0",
    "",
  ].join("\n");
}

/**
 * Reads a report line by line. `take` says whether a line belonged to it, so a driver can keep the report out of
 * the build log; `inventory` parses the files with the same collector the local driver uses.
 */
export class GuestInventoryReader {
  private readonly prefix: string;
  private encoding: "b64" | "hex" | undefined;
  private ended = false;
  private current: { path: string; chunks: string[]; size: number; expected: number } | undefined;
  private readonly files = new Map<string, Buffer>();
  private total = 0;
  private problem: string | undefined;

  constructor(marker: string) {
    this.prefix = `${marker}:`;
  }

  /** Whether the report has started (its first line arrived). */
  get started(): boolean {
    return this.encoding !== undefined;
  }

  /** Consumes one output line; true when it was part of the report (and should not be shown). */
  take(line: string): boolean {
    const at = line.indexOf(this.prefix);
    if (at < 0) return false;
    this.read(line.slice(at + this.prefix.length).trim());
    return true;
  }

  /**
   * The image's packages, from the files the report carried. Throws a `BakeError` when the report is missing,
   * incomplete, malformed or over its bounds: an inventory is whole or there is none.
   */
  async inventory(): Promise<PackageInventory> {
    if (this.problem) throw reportError(this.problem);
    if (!this.encoding) throw reportError("the builder printed no inventory report");
    if (!this.ended || this.current)
      throw reportError("the builder's inventory report stopped before its end");
    return collectInventory(reportedFiles(this.files));
  }

  private read(rest: string): void {
    if (this.problem || this.ended) return;
    const [kind = "", value = "", size = ""] = rest.split(":");
    if (kind === "start") {
      if (value === "b64" || value === "hex") this.encoding = value;
      else this.problem = `unknown report encoding "${value.slice(0, 20)}"`;
      return;
    }
    if (!this.encoding) return;
    if (kind === "file") {
      const path = this.decodePath(value);
      if (path !== undefined) this.current = { path, chunks: [], size: 0, expected: Number(size) };
    } else if (kind === "d" && this.current) {
      const chunk = rest.slice(2);
      if (!this.validChunk(chunk)) {
        this.problem = `the report of ${this.current.path} is corrupted`;
        return;
      }
      const bytes = this.encoding === "b64" ? (chunk.length * 3) / 4 : chunk.replace(/ /g, "").length / 2;
      this.current.size += bytes;
      this.total += bytes;
      if (this.current.size > REPORT_FILE_LIMIT + 4 || this.total > REPORT_TOTAL_LIMIT + 4) {
        this.problem = `the report is over its bound of ${REPORT_TOTAL_LIMIT} bytes (${REPORT_FILE_LIMIT} per file)`;
        return;
      }
      this.current.chunks.push(chunk);
    } else if (kind === "eof" && this.current) {
      const bytes = this.decode(this.current.chunks.join(""));
      // A channel that drops lines (a serial port's buffer overrun) shows as a file of the wrong size.
      if (bytes.length !== this.current.expected) {
        this.problem = `the report of ${this.current.path} is incomplete (${bytes.length} of ${this.current.expected} bytes arrived)`;
        return;
      }
      this.files.set(this.current.path, bytes);
      this.current = undefined;
    } else if (kind === "big") {
      const path = this.decodePath(value) ?? "a file";
      this.problem = `${path} is ${size} bytes, over the ${REPORT_FILE_LIMIT}-byte bound of an inventory report`;
    } else if (kind === "end") {
      this.ended = true;
    }
  }

  private validChunk(chunk: string): boolean {
    return this.encoding === "b64" ? /^[A-Za-z0-9+/=]*$/.test(chunk) : /^[0-9a-f ]*$/.test(chunk);
  }

  private decode(text: string): Buffer {
    return this.encoding === "b64" ? Buffer.from(text, "base64") : Buffer.from(text.replace(/ /g, ""), "hex");
  }

  // Only paths the script reports are accepted, so a garbled line cannot put a file anywhere else.
  private decodePath(encoded: string): string | undefined {
    if (!this.validChunk(encoded)) return undefined;
    const path = this.decode(encoded).toString("utf8");
    const known = (REPORTED_FILES as readonly string[]).includes(path);
    const statusD = posix.dirname(path) === "/var/lib/dpkg/status.d" && !path.includes("\n");
    return known || statusD ? path : undefined;
  }
}

/** The reported files as read-only image files, for the collector. */
function reportedFiles(files: ReadonlyMap<string, Buffer>): ImageFiles {
  return {
    read: async (path) => files.get(path),
    list: async (dir) =>
      [...files.keys()].filter((path) => posix.dirname(path) === dir).map((path) => posix.basename(path)),
  };
}

function reportError(message: string): BakeError {
  return new BakeError({
    code: "inventory-report",
    message,
    hint: "the image is built and verified; only its package inventory is missing",
  });
}
