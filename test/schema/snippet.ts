// Inserts an LSP completion item the way an editor does: its snippet expanded with every placeholder filled by
// its default (the first choice of a choice), and every line after the first indented like the line it lands on.

/** An expanded snippet: its text and where the cursor goes (the first tab stop, else `$0`, else the end). */
export interface Expanded {
  text: string;
  cursor: number;
}

/** Expands LSP snippet syntax: `$1`, `${1}`, `${1:default}` (nested), `${1|a,b|}`, `$0` and `\$ \} \\` escapes. */
export function expandSnippet(snippet: string): Expanded {
  const stops = new Map<number, number>();
  let i = 0;
  const parse = (closing: boolean): string => {
    let out = "";
    while (i < snippet.length) {
      const c = snippet[i] as string;
      if (c === "\\" && i + 1 < snippet.length && "$}\\".includes(snippet[i + 1] as string)) {
        out += snippet[i + 1];
        i += 2;
      } else if (closing && c === "}") {
        return out;
      } else if (c === "$") {
        out += tabStop(out.length);
      } else {
        out += c;
        i += 1;
      }
    }
    if (closing) throw new Error(`unclosed placeholder in snippet: ${snippet}`);
    return out;
  };
  // One `$...` construct at `start` (the length of the text before it), returning its default text.
  const tabStop = (start: number): string => {
    const plain = /^\$(\d+)/.exec(snippet.slice(i));
    if (plain) {
      i += plain[0].length;
      note(Number(plain[1]), start);
      return "";
    }
    const open = /^\$\{(\d+)([:|}])/.exec(snippet.slice(i));
    if (!open) throw new Error(`unsupported snippet syntax at ${i}: ${snippet}`);
    i += open[0].length;
    note(Number(open[1]), start);
    if (open[2] === "}") return "";
    if (open[2] === "|") {
      const end = snippet.indexOf("|}", i);
      const first = snippet.slice(i, end).split(",")[0] ?? "";
      i = end + 2;
      return first;
    }
    const text = parse(true);
    i += 1;
    return text;
  };
  const note = (n: number, at: number) => {
    if (!stops.has(n)) stops.set(n, at);
  };
  const text = parse(false);
  const numbered = [...stops.keys()].filter((n) => n > 0).sort((a, b) => a - b);
  const first = numbered[0];
  const cursor = first !== undefined ? (stops.get(first) as number) : (stops.get(0) ?? text.length);
  return { text, cursor };
}

/** The text range an LSP completion item replaces, in lines and characters. */
export interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** The document after inserting an item's `textEdit` (snippet), and the cursor's offset in it. */
export function applyCompletion(
  document: string,
  item: { textEdit?: { range: Range; newText: string }; insertText?: string },
  at: { line: number; character: number },
): { text: string; cursor: number } {
  const range = item.textEdit?.range ?? { start: at, end: at };
  const start = offsetAt(document, range.start);
  const end = offsetAt(document, range.end);
  const lineStart = document.lastIndexOf("\n", start - 1) + 1;
  const indent = /^[ \t]*/.exec(document.slice(lineStart))?.[0] ?? "";
  const expanded = expandSnippet(item.textEdit?.newText ?? item.insertText ?? "");
  const adjust = (text: string) => text.replaceAll("\n", `\n${indent}`);
  const inserted = adjust(expanded.text);
  return {
    text: document.slice(0, start) + inserted + document.slice(end),
    cursor: start + adjust(expanded.text.slice(0, expanded.cursor)).length,
  };
}

/** The line and character of an offset. */
export function positionAt(document: string, offset: number): { line: number; character: number } {
  const before = document.slice(0, offset).split("\n");
  return { line: before.length - 1, character: (before.at(-1) ?? "").length };
}

function offsetAt(document: string, position: { line: number; character: number }): number {
  const lines = document.split("\n");
  let offset = 0;
  for (let l = 0; l < position.line; l++) offset += (lines[l] ?? "").length + 1;
  return offset + position.character;
}
