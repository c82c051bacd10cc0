import type { Redactor } from "./redact.js";

/**
 * Joins the pieces of one output stream into lines and hides secrets in each line, so a secret written in
 * several pieces is hidden like one written at once. A line longer than `maxLine` is not held without end:
 * it is let out in parts, each cut where no secret can straddle it (the tail that could still begin a secret
 * is kept until more text shows how it ends).
 */
export class SecretLines {
  private pending = "";
  private readonly maxLine: number;

  constructor(
    private readonly redact: Redactor,
    options: {
      /** The length after which a line without a newline is let out in parts. @default 8192 */
      maxLine?: number;
    } = {},
  ) {
    this.maxLine = Math.max(1, options.maxLine ?? 8192);
  }

  /** Adds a piece of the stream (it may hold newlines); returns the lines it completed, secrets hidden. */
  push(piece: string): string[] {
    const parts = (this.pending + piece).split("\n");
    this.pending = parts.pop() ?? "";
    const lines = parts.map((line) => this.redact(line.endsWith("\r") ? line.slice(0, -1) : line));
    // Everything before `pending.length - holdBack` is beyond doubt: no secret that starts there can still grow.
    const holdBack = Math.max(0, this.redact.longest - 1);
    while (this.pending.length >= this.maxLine + holdBack) {
      let cut = this.redact.safeCut(this.pending, this.pending.length - holdBack);
      // Never split a surrogate pair between two lines.
      if (cut < this.pending.length && isHighSurrogate(this.pending.charCodeAt(cut - 1))) cut += 1;
      lines.push(this.redact(this.pending.slice(0, cut)));
      this.pending = this.pending.slice(cut);
    }
    return lines;
  }

  /** Ends the stream: the unfinished last line, secrets hidden, if there is one. */
  end(): string[] {
    if (this.pending === "") return [];
    const line = this.redact(this.pending.endsWith("\r") ? this.pending.slice(0, -1) : this.pending);
    this.pending = "";
    return [line];
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
