import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { writeDurably, writeLocked } from "../append.js";
import { isWholeLine } from "../last-line.js";
import type { LineStore, StoreAppend, StoreRead, StoreTip } from "./line-store.js";

/**
 * A manifest file seen as a line store, for `bake manifest copy`. Commands that read or build on a file keep using
 * the file manifest itself; this adapter only reads complete lines and appends under the file's own lock.
 */
export class FileStore implements LineStore {
  readonly kind = "file";
  readonly display: string;

  constructor(private readonly path: string) {
    this.display = path;
  }

  async read(from: number): Promise<StoreRead> {
    const lines = this.completeLines();
    return { lines: lines.slice(from), tip: { count: lines.length, token: String(lines.length) } };
  }

  async append(lines: readonly string[], expected: StoreTip): Promise<StoreAppend> {
    return writeLocked(this.path, {}, () => {
      const fd = openSync(this.path, "a+");
      try {
        const bytes = readFileSync(this.path);
        const present = this.completeLines(bytes);
        const end = Buffer.byteLength(joined(present));
        // A whole last line that only lacks its newline gets it with this write; torn bytes are refused.
        const missingNewline = bytes.length === end - 1;
        if (present.length !== expected.count || (bytes.length !== end && !missingNewline)) {
          return present.length !== expected.count
            ? ({ ok: false, reason: "conflict", message: `${this.path} changed since it was read` } as const)
            : ({
                ok: false,
                reason: "refused",
                message: `${this.path} ends in a torn line; run bake fsck`,
              } as const);
        }
        writeDurably(
          fd,
          Buffer.from(`${missingNewline ? "\n" : ""}${joined(lines)}`, "utf8"),
          fstatSync(fd).size,
        );
        const count = expected.count + lines.length;
        return { ok: true, tip: { count, token: String(count) } } as const;
      } finally {
        closeSync(fd);
      }
    });
  }

  async describe(): Promise<Record<string, string | number>> {
    return { path: this.path };
  }

  async close(): Promise<void> {}

  private completeLines(bytes?: Buffer): string[] {
    let text: string;
    try {
      text = (bytes ?? readFileSync(this.path)).toString("utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const end = text.lastIndexOf("\n");
    if (end < 0) return [];
    const lines = text.slice(0, end).split("\n");
    // A whole last line that only lacks its newline is a line like the others (see isWholeLine); torn bytes are not.
    const rest = text.slice(end + 1);
    return rest !== "" && isWholeLine(rest) ? [...lines, rest] : lines;
  }
}

function joined(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}
