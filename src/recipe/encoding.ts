/** Why bytes are not UTF-8 text bake can read: what to say, and where (1-based, as an editor counts). */
export interface EncodingProblem {
  message: string;
  hint: string;
  line: number;
  col: number;
  /** The offending line, decoded leniently, for an excerpt. */
  lineText: string;
}

const SAVE_AS_UTF8 = "save the file as UTF-8 (in most editors: Save with Encoding, UTF-8)";

// Byte order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
const FOREIGN_BOMS: { bytes: number[]; name: string }[] = [
  { bytes: [0xff, 0xfe, 0x00, 0x00], name: "UTF-32 (little-endian)" },
  { bytes: [0x00, 0x00, 0xfe, 0xff], name: "UTF-32 (big-endian)" },
  { bytes: [0xff, 0xfe], name: "UTF-16 (little-endian)" },
  { bytes: [0xfe, 0xff], name: "UTF-16 (big-endian)" },
];

/**
 * Decode a recipe or var file as strict UTF-8. A UTF-8 byte order mark is dropped; UTF-16/32 text, NUL bytes and
 * invalid UTF-8 (such as Latin-1 `é`) are refused with their position instead of being turned into U+FFFD.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { problem: EncodingProblem } {
  let body = bytes;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) body = bytes.subarray(3);
  else {
    const bom = FOREIGN_BOMS.find((mark) => mark.bytes.every((byte, i) => bytes[i] === byte));
    if (bom) {
      return {
        problem: {
          message: `the file is ${bom.name} text`,
          hint: SAVE_AS_UTF8,
          line: 1,
          col: 1,
          lineText: "",
        },
      };
    }
  }
  const nul = body.indexOf(0);
  if (nul !== -1) {
    const head = body.subarray(0, 4096);
    const nuls = head.reduce((count, byte) => count + (byte === 0 ? 1 : 0), 0);
    // UTF-16 without a mark has a NUL in every other byte of ASCII text; a binary file has many too.
    const message =
      nuls * 8 >= head.length
        ? "the file is not UTF-8 text: it is full of NUL bytes (UTF-16 without a byte order mark, or a binary file)"
        : "the file contains a NUL byte";
    return { problem: { message, hint: SAVE_AS_UTF8, ...position(body, nul) } };
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body) };
  } catch {
    const bad = firstInvalid(body);
    const byte = (body[bad] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    return {
      problem: {
        message: `the file is not valid UTF-8: byte 0x${byte} cannot start or continue a character here`,
        hint: `${SAVE_AS_UTF8}; a byte like this usually means Latin-1 or Windows-1252`,
        ...position(body, bad),
      },
    };
  }
}

// Line and column of a byte offset, counting columns as the decoded text does (UTF-16 units, like the YAML ones).
function position(bytes: Uint8Array, offset: number): { line: number; col: number; lineText: string } {
  const before = bytes.subarray(0, offset);
  let line = 1;
  for (const byte of before) if (byte === 0x0a) line++;
  const start = before.lastIndexOf(0x0a) + 1;
  let end = bytes.indexOf(0x0a, offset);
  if (end === -1) end = bytes.length;
  const decoder = new TextDecoder("utf-8");
  const col = decoder.decode(bytes.subarray(start, offset)).length + 1;
  return { line, col, lineText: decoder.decode(bytes.subarray(start, end)).replace(/\r$/, "") };
}

// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
function firstInvalid(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (lead < 0x80) {
      i++;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) need = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2;
      if (lead === 0xe0) min = 0xa0;
      if (lead === 0xed) max = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3;
      if (lead === 0xf0) min = 0x90;
      if (lead === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      const low = k === 1 ? min : 0x80;
      const high = k === 1 ? max : 0xbf;
      if (next === undefined || next < low || next > high) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
