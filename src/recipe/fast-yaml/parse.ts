import { plainValue } from "./scalar.js";
import type { Span } from "./span.js";

/** What the fast front end makes of a recipe: the same plain data as `yaml`, and where each node sits. */
export interface FastDocument {
  /** The document as `yaml`'s `toJS()` gives it (always a mapping on this path). */
  value: Record<string, unknown>;
  /** The root mapping's span, with every entry and item below it. */
  root: Span;
  /** Offset of the start of each line, as `yaml`'s LineCounter records them. */
  lineStarts: number[];
}

/**
 * Parses the common subset of YAML that recipes are written in, or answers `undefined` ("bail out") for anything
 * outside it, so the caller falls back to `yaml`. The subset: a block mapping at the root; block mappings and
 * sequences (a sequence may sit at its key's indentation); plain, single- and double-quoted scalars on one line;
 * literal and folded block scalars (`|`, `|-`, `>`, `>-`) without indentation indicators or more-indented folded
 * lines; one-line flow sequences and mappings; comments. Everything else bails: anchors, aliases, tags, merge keys,
 * directives, document markers, complex or non-string keys, duplicate keys, empty values, multi-line plain or quoted
 * scalars, tabs, carriage returns, control characters, surrogates, odd indentation, deep nesting.
 */
export function fastParse(text: string): FastDocument | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    return new Parser(text).document();
  } catch (error) {
    if (error === BAIL) return undefined;
    throw error;
  }
}

// Characters the subset never handles: tabs, CR, other C0/C1 controls, DEL, line/paragraph separators, BOMs,
// non-characters and surrogates (yaml's treatment of these varies; the slow path knows it).
const UNSUPPORTED_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]/;

/** Deepest nesting the fast path takes; deeper documents go to `yaml` (which enforces MAX_DEPTH). */
const MAX_FAST_DEPTH = 40;
/** Longest key the fast path takes (yaml refuses implicit keys over 1024 characters). */
const MAX_KEY = 1000;

// Thrown (never escapes fastParse) when the text leaves the subset.
const BAIL = Symbol("bail");
function bail(): never {
  throw BAIL;
}

const NL = 0x0a;
const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

// Characters that cannot start a plain scalar or key in the subset (YAML's indicators).
function isIndicator(code: number): boolean {
  switch (code) {
    case 0x2d: // -
    case 0x3f: // ?
    case 0x3a: // :
    case 0x2c: // ,
    case 0x5b: // [
    case 0x5d: // ]
    case 0x7b: // {
    case 0x7d: // }
    case 0x23: // #
    case 0x26: // &
    case 0x2a: // *
    case 0x21: // !
    case 0x7c: // |
    case 0x3e: // >
    case 0x27: // '
    case 0x22: // "
    case 0x25: // %
    case 0x40: // @
    case 0x60: // `
      return true;
    default:
      return false;
  }
}

// A flow collection's structure characters, which end a plain scalar inside it.
function isFlowIndicator(code: number): boolean {
  return code === 0x2c || code === 0x5b || code === 0x5d || code === 0x7b || code === 0x7d;
}

class Parser {
  readonly #text: string;
  readonly #length: number;
  readonly #lineStarts: number[] = [0];
  /** Current offset. Block parsers return with it at the first character of the next content line. */
  #pos = 0;
  /** Indentation of the content line at #pos, or -1 at the end of the text. */
  #indent = -1;
  /** Start of the line holding #pos. */
  #lineStart = 0;
  /** The span of the value the last parse method returned (returned this way to save an object per node). */
  #span: Span = { start: 0, end: 0 };

  constructor(text: string) {
    this.#text = text;
    this.#length = text.length;
  }

  document(): FastDocument {
    const text = this.#text;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", nl + 1))
      this.#lineStarts.push(nl + 1);
    this.#skipToContent(0);
    if (this.#indent === 0 && this.#isStartMarker(this.#pos)) {
      // A `---` line before the root mapping opens the one document; the mapping follows on later lines.
      const nl = text.indexOf("\n", this.#pos);
      if (nl === -1) bail();
      this.#skipToContent(nl + 1);
    }
    if (this.#indent !== 0) bail();
    const value = this.#blockMap(0, 1);
    // The root mapping ends only at the end of the text (the field is reassigned inside #blockMap).
    if ((this.#indent as number) !== -1) bail();
    return { value, root: this.#span, lineStarts: this.#lineStarts };
  }

  #code(at: number): number {
    return at < this.#length ? this.#text.charCodeAt(at) : NL;
  }

  // Whether the character at `at` ends a token (space, line end, or end of text).
  #isBlank(at: number): boolean {
    return at >= this.#length || this.#text.charCodeAt(at) === SPACE || this.#text.charCodeAt(at) === NL;
  }

  // From a line start, skips blank and comment lines; leaves #pos at the next content character.
  #skipToContent(lineStart: number): void {
    const text = this.#text;
    let start = lineStart;
    while (start < this.#length) {
      let at = start;
      while (at < this.#length && text.charCodeAt(at) === SPACE) at++;
      if (at >= this.#length) break;
      const code = text.charCodeAt(at);
      if (code !== NL && code !== HASH) {
        this.#pos = at;
        this.#lineStart = start;
        this.#indent = at - start;
        // `---` and `...` at the start of a line are document markers (the first line's `---` is checked by the
        // caller).
        if (at === start && (text.startsWith("---", at) || text.startsWith("...", at)) && lineStart !== 0)
          bail();
        if (at === start && text.startsWith("...", at)) bail();
        return;
      }
      const nl = text.indexOf("\n", at);
      if (nl === -1) break;
      start = nl + 1;
    }
    this.#pos = this.#length;
    this.#lineStart = this.#length;
    this.#indent = -1;
  }

  // After a value on its line: only spaces and a comment may follow. Moves to the next content line.
  #endLine(): void {
    const text = this.#text;
    let at = this.#pos;
    while (at < this.#length && text.charCodeAt(at) === SPACE) at++;
    if (at < this.#length) {
      const code = text.charCodeAt(at);
      if (code === HASH) {
        if (at === this.#pos) bail(); // a comment needs a space before it
      } else if (code !== NL) bail();
    }
    const nl = text.indexOf("\n", at);
    this.#skipToContent(nl === -1 ? this.#length : nl + 1);
  }

  // Entries of a block mapping whose keys sit at column `indent`; #pos is at the first key.
  #blockMap(indent: number, depth: number): Record<string, unknown> {
    if (depth > MAX_FAST_DEPTH) bail();
    const value: Record<string, unknown> = {};
    const keys: string[] = [];
    const keyStarts: number[] = [];
    const children: Span[] = [];
    const start = this.#pos;
    for (;;) {
      keyStarts.push(this.#pos);
      const key = this.#key();
      if (key === "__proto__" || key === "<<" || Object.hasOwn(value, key)) bail();
      keys.push(key);
      value[key] = this.#valueAfterIndicator(indent, depth, true);
      children.push(this.#span);
      if (this.#indent < indent) break;
      if (this.#indent > indent) bail();
    }
    this.#span = { start, end: this.#span.end, keys, keyStarts, children };
    return value;
  }

  // Items of a block sequence whose dashes sit at column `indent`; #pos is at the first dash. With `inMap`, the
  // sequence is a mapping's value at the mapping's own indentation, so a key at that column ends it.
  #blockSeq(indent: number, depth: number, inMap: boolean): unknown[] {
    if (depth > MAX_FAST_DEPTH) bail();
    const value: unknown[] = [];
    const children: Span[] = [];
    const start = this.#pos;
    for (;;) {
      this.#pos++; // the dash
      value.push(this.#valueAfterIndicator(indent, depth, false));
      children.push(this.#span);
      if (this.#indent === indent && this.#isDashEntry(this.#pos)) continue;
      if (this.#indent < indent || (inMap && this.#indent === indent)) break;
      bail();
    }
    this.#span = { start, end: this.#span.end, children };
    return value;
  }

  // `---` alone on its line (a comment may follow).
  #isStartMarker(at: number): boolean {
    const text = this.#text;
    if (!text.startsWith("---", at)) return false;
    let end = at + 3;
    while (end < this.#length && text.charCodeAt(end) === SPACE) end++;
    const code = this.#code(end);
    return code === NL || (code === HASH && end > at + 3);
  }

  #isDashEntry(at: number): boolean {
    return this.#text.charCodeAt(at) === DASH && this.#isBlank(at + 1);
  }

  // The value after a key's `:` or an item's `-` (#pos just past it), in a collection at column `indent`.
  #valueAfterIndicator(indent: number, depth: number, inMap: boolean): unknown {
    const text = this.#text;
    let at = this.#pos;
    while (at < this.#length && text.charCodeAt(at) === SPACE) at++;
    const code = this.#code(at);
    if (code === NL || code === HASH) {
      // Nothing on this line: the value is the block on the following lines.
      if (code === HASH && at === this.#pos) bail();
      const nl = text.indexOf("\n", at);
      this.#skipToContent(nl === -1 ? this.#length : nl + 1);
      if (this.#indent > indent) {
        return this.#isDashEntry(this.#pos)
          ? this.#blockSeq(this.#indent, depth + 1, false)
          : this.#blockMap(this.#indent, depth + 1);
      }
      if (inMap && this.#indent === indent && this.#isDashEntry(this.#pos)) {
        return this.#blockSeq(indent, depth + 1, true);
      }
      return bail(); // an empty value
    }
    if (at === this.#pos && this.#pos < this.#length) bail(); // `-x` or `key:x` never reach here; be safe
    this.#pos = at;
    if (!inMap) {
      // `- key: value` starts a mapping at the key's column.
      if (this.#isDashEntry(at)) bail();
      if (this.#keyAhead(at)) {
        this.#indent = at - this.#lineStart;
        return this.#blockMap(this.#indent, depth + 1);
      }
    }
    return this.#inlineValue(indent, depth + 1);
  }

  // Whether the line from `at` reads `key:` (a plain or quoted key followed by `: ` or `:` at the line end).
  #keyAhead(at: number): boolean {
    const text = this.#text;
    const first = text.charCodeAt(at);
    if (first === DQUOTE || first === SQUOTE) {
      let end = at + 1;
      for (; end < this.#length; end++) {
        const code = text.charCodeAt(end);
        if (code === NL) return false;
        if (first === DQUOTE && code === 0x5c) end++;
        else if (code === first) {
          if (first === SQUOTE && text.charCodeAt(end + 1) === SQUOTE) end++;
          else break;
        }
      }
      return text.charCodeAt(end + 1) === COLON && this.#isBlank(end + 2);
    }
    if (isIndicator(first)) return false;
    for (let i = at; i < this.#length; i++) {
      const code = text.charCodeAt(i);
      if (code === NL) return false;
      if (code === COLON && this.#isBlank(i + 1)) return true;
      if (code === SPACE && text.charCodeAt(i + 1) === HASH) return false;
    }
    return false;
  }

  // A mapping key at #pos and its `:`; leaves #pos after the colon.
  #key(): string {
    const text = this.#text;
    const start = this.#pos;
    const first = text.charCodeAt(start);
    let key: string;
    if (first === DQUOTE || first === SQUOTE) {
      key = this.#quoted();
      if (text.charCodeAt(this.#pos) !== COLON) bail();
    } else {
      if (isIndicator(first)) bail();
      let i = start;
      for (; i < this.#length; i++) {
        const code = text.charCodeAt(i);
        if (code === NL) bail();
        if (code === COLON && this.#isBlank(i + 1)) break;
        if (code === SPACE && text.charCodeAt(i + 1) === HASH) bail();
      }
      if (i >= this.#length || text.charCodeAt(i - 1) === SPACE) bail();
      key = text.slice(start, i);
      // A key must read as a string: `1:`, `true:` or `null:` would become "1", "true" or "" in yaml's output.
      if (plainValue(key) !== key) bail();
      this.#pos = i;
    }
    if (this.#pos - start > MAX_KEY || !this.#isBlank(this.#pos + 1)) bail();
    this.#pos++;
    return key;
  }

  // A value that starts on the current line at #pos: a scalar, a flow collection or a block scalar.
  #inlineValue(indent: number, depth: number): unknown {
    const text = this.#text;
    const start = this.#pos;
    const first = text.charCodeAt(start);
    let value: unknown;
    if (first === DQUOTE || first === SQUOTE) {
      value = this.#quoted();
      this.#span = { start, end: this.#pos };
    } else if (first === 0x7c || first === 0x3e) {
      return this.#blockScalar(indent);
    } else if (first === 0x5b || first === 0x7b) {
      value = this.#flow(depth);
    } else {
      // `-1` or `-x` is a plain scalar; other indicators (and `- `) are not for this path.
      if (isIndicator(first) && (first !== DASH || this.#isBlank(start + 1))) bail();
      let end = start;
      let i = start;
      for (; i < this.#length; i++) {
        const code = text.charCodeAt(i);
        if (code === NL) break;
        if (code === COLON && this.#isBlank(i + 1)) bail(); // a mapping on the line of a value
        if (code === SPACE) {
          if (text.charCodeAt(i + 1) === HASH) break;
        } else end = i + 1;
      }
      const raw = text.slice(start, end);
      this.#pos = end;
      value = plainValue(raw);
      this.#span = { start, end };
    }
    this.#endLine();
    return value;
  }

  // A one-line single- or double-quoted scalar at #pos; leaves #pos after the closing quote.
  #quoted(): string {
    const text = this.#text;
    const quote = text.charCodeAt(this.#pos);
    let out = "";
    let chunk = this.#pos + 1;
    for (let i = chunk; ; i++) {
      if (i >= this.#length) bail();
      const code = text.charCodeAt(i);
      if (code === NL) bail();
      if (code === quote) {
        if (quote === SQUOTE && text.charCodeAt(i + 1) === SQUOTE) {
          out += text.slice(chunk, i + 1);
          i++;
          chunk = i + 1;
          continue;
        }
        out += text.slice(chunk, i);
        this.#pos = i + 1;
        return out;
      }
      if (quote === DQUOTE && code === 0x5c) {
        out += text.slice(chunk, i);
        const escaped = this.#escape(i + 1);
        out += escaped.text;
        i = escaped.end - 1;
        chunk = escaped.end;
      }
    }
  }

  // The character a double-quoted escape stands for; `at` is after the backslash. Rare escapes bail.
  #escape(at: number): { text: string; end: number } {
    const code = this.#code(at);
    switch (code) {
      case 0x22:
        return { text: '"', end: at + 1 };
      case 0x5c:
        return { text: "\\", end: at + 1 };
      case 0x2f:
        return { text: "/", end: at + 1 };
      case 0x6e:
        return { text: "\n", end: at + 1 };
      case 0x74:
        return { text: "\t", end: at + 1 };
      case 0x72:
        return { text: "\r", end: at + 1 };
      case 0x30:
        return { text: "\0", end: at + 1 };
      case 0x78:
      case 0x75: {
        const digits = code === 0x78 ? 2 : 4;
        const hex = this.#text.slice(at + 1, at + 1 + digits);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) bail();
        const point = Number.parseInt(hex, 16);
        if (point >= 0xd800 && point <= 0xdfff) bail();
        return { text: String.fromCharCode(point), end: at + 1 + digits };
      }
      default:
        return bail();
    }
  }

  // `|`, `|-`, `>` or `>-` at #pos, with content indented past `indent`; moves to the next content line.
  #blockScalar(indent: number): string {
    const text = this.#text;
    const start = this.#pos;
    const folded = text.charCodeAt(start) === 0x3e;
    let at = start + 1;
    const strip = text.charCodeAt(at) === DASH;
    if (strip) at++;
    if (!this.#isBlank(at)) bail(); // `+`, an indentation digit, or text after the indicator
    while (at < this.#length && text.charCodeAt(at) === SPACE) at++;
    if (text.charCodeAt(at) === HASH && text.charCodeAt(at - 1) !== SPACE) bail();
    let nl = text.indexOf("\n", at);
    if (nl === -1) bail();
    const lines: string[] = [];
    let contentIndent = -1;
    let end = -1; // just after the newline of the last content line
    let lineStart = nl + 1;
    while (lineStart < this.#length) {
      let first = lineStart;
      while (first < this.#length && text.charCodeAt(first) === SPACE) first++;
      const spaces = first - lineStart;
      nl = text.indexOf("\n", first);
      const blank = first >= this.#length || text.charCodeAt(first) === NL;
      if (blank) {
        if (contentIndent === -1 || spaces > contentIndent) bail(); // leading or over-indented empty lines
        if (nl === -1) break;
        lines.push("");
        lineStart = nl + 1;
        continue;
      }
      if (contentIndent === -1) {
        if (spaces <= indent) bail(); // an empty block scalar
        contentIndent = spaces;
      }
      if (spaces < contentIndent) {
        if (spaces > indent) bail();
        break;
      }
      if (nl === -1) bail(); // the last line has no newline: leave chomping at the end of text to yaml
      if (folded && spaces > contentIndent) bail(); // more-indented folded lines keep their breaks
      lines.push(text.slice(lineStart + contentIndent, nl));
      end = nl + 1;
      lineStart = nl + 1;
    }
    if (end === -1) bail();
    // Trailing empty lines are not content (clip and strip both drop them).
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    const body = folded ? fold(lines) : lines.join("\n");
    this.#skipToContent(end);
    this.#span = { start, end };
    return strip ? body : `${body}\n`;
  }

  // A one-line flow sequence or mapping at #pos; leaves #pos after its closing bracket.
  #flow(depth: number): unknown {
    if (depth > MAX_FAST_DEPTH) bail();
    const text = this.#text;
    const start = this.#pos;
    const isMap = text.charCodeAt(start) === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    this.#pos++;
    this.#skipFlowSpaces();
    const children: Span[] = [];
    const keys: string[] = [];
    const keyStarts: number[] = [];
    const values: unknown[] = [];
    const object: Record<string, unknown> = {};
    if (text.charCodeAt(this.#pos) !== close) {
      for (;;) {
        if (isMap) {
          keyStarts.push(this.#pos);
          const key = this.#flowKey();
          if (key === "__proto__" || key === "<<" || Object.hasOwn(object, key)) bail();
          keys.push(key);
          this.#skipFlowSpaces();
          object[key] = this.#flowItem(depth + 1);
        } else {
          values.push(this.#flowItem(depth + 1));
        }
        children.push(this.#span);
        this.#skipFlowSpaces();
        const code = text.charCodeAt(this.#pos);
        if (code === close) break;
        if (code !== 0x2c) bail();
        this.#pos++;
        this.#skipFlowSpaces();
        if (text.charCodeAt(this.#pos) === close) bail(); // a trailing comma
      }
    }
    this.#pos++;
    this.#span = isMap
      ? { start, end: this.#pos, keys, keyStarts, children }
      : { start, end: this.#pos, children };
    return isMap ? object : values;
  }

  #skipFlowSpaces(): void {
    while (this.#pos < this.#length && this.#text.charCodeAt(this.#pos) === SPACE) this.#pos++;
    if (this.#pos >= this.#length || this.#text.charCodeAt(this.#pos) === NL) bail();
  }

  // A key inside a flow mapping and its `: `; leaves #pos after the colon.
  #flowKey(): string {
    const text = this.#text;
    const first = text.charCodeAt(this.#pos);
    let key: string;
    if (first === DQUOTE || first === SQUOTE) key = this.#quoted();
    else {
      key = this.#flowPlain();
      if (plainValue(key) !== key) bail();
    }
    if (text.charCodeAt(this.#pos) !== COLON || text.charCodeAt(this.#pos + 1) !== SPACE) bail();
    this.#pos++;
    return key;
  }

  // One item of a flow collection: a quoted or plain scalar, or a nested flow collection.
  #flowItem(depth: number): unknown {
    const start = this.#pos;
    const first = this.#text.charCodeAt(start);
    if (first === DQUOTE || first === SQUOTE) {
      const value = this.#quoted();
      this.#span = { start, end: this.#pos };
      return value;
    }
    if (first === 0x5b || first === 0x7b) return this.#flow(depth);
    const scalar = this.#flowPlain();
    this.#span = { start, end: start + scalar.length };
    return plainValue(scalar);
  }

  // A plain scalar inside a flow collection, up to a flow indicator; leaves #pos at what ends it.
  #flowPlain(): string {
    const text = this.#text;
    const start = this.#pos;
    const first = text.charCodeAt(start);
    if (
      isIndicator(first) &&
      !(first === DASH && !this.#isBlank(start + 1) && !isFlowIndicator(this.#code(start + 1)))
    )
      bail();
    let end = start;
    let i = start;
    for (; i < this.#length; i++) {
      const code = text.charCodeAt(i);
      if (code === NL) bail();
      if (isFlowIndicator(code)) break;
      if (code === COLON) {
        const next = this.#code(i + 1);
        if (next === SPACE) break; // a key's colon (inside a flow mapping)
        if (next === NL || isFlowIndicator(next)) bail();
      }
      if (code === SPACE) {
        if (text.charCodeAt(i + 1) === HASH) bail();
      } else end = i + 1;
    }
    if (end === start) bail();
    this.#pos = i;
    // #pos stays on the first space after the scalar, which the caller skips.
    return text.slice(start, end);
  }
}

// Folded block scalar lines: single breaks between text lines become spaces, empty lines become breaks.
function fold(lines: string[]): string {
  let out = "";
  let breaks = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line === "") {
      breaks++;
      continue;
    }
    if (index > 0) out += breaks > 0 ? "\n".repeat(breaks) : " ";
    out += line;
    breaks = 0;
  }
  return out;
}
