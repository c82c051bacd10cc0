import type { Readable } from "node:stream";
import type { TarHeader, TarType } from "./tar-writer.js";

const BLOCK = 512;

const TYPES: Record<string, TarType> = {
  "0": "file",
  "\u0000": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

/** A tar entry being read; its content must be consumed with `content()` or `skip()` before the next entry. */
export interface TarEntry {
  header: TarHeader & { pax: Record<string, string> };
  /** Yields the content in chunks. */
  content(): AsyncGenerator<Buffer>;
  skip(): Promise<void>;
}

/** Pulls exact byte counts out of a stream. */
class ByteReader {
  readonly #iterator: AsyncIterator<Buffer>;
  #buffer: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(stream: Readable) {
    this.#iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    this.#buffer = this.#buffer.length === 0 ? next.value : Buffer.concat([this.#buffer, next.value]);
    return true;
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.#buffer.length < n && (await this.#fill())) {}
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(out.length);
    return out;
  }

  /** Reads and discards the rest of the stream, so its producer sees it consumed and it can end. */
  async drain(): Promise<void> {
    while (await this.#fill()) this.#buffer = Buffer.alloc(0);
    this.#buffer = Buffer.alloc(0);
  }

  /** Up to `max` bytes, at least one unless the stream ended. */
  async chunk(max: number): Promise<Buffer> {
    if (this.#buffer.length === 0) await this.#fill();
    const out = this.#buffer.subarray(0, max);
    this.#buffer = this.#buffer.subarray(out.length);
    return out;
  }
}

/** Reads ustar, PAX and GNU long-name tar streams entry by entry. */
export async function* readTar(stream: Readable): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(stream);
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length < BLOCK || block.every((byte) => byte === 0)) {
      // tar pads archives to whole records after the end marker: consume it, or the pipe never ends.
      await reader.drain();
      return;
    }
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = readNumber(block, 124, 12);
    if (flag === "x" || flag === "L" || flag === "K" || flag === "g") {
      const data = await reader.read(size);
      await reader.read(padding(size));
      if (flag === "x") pax = { ...pax, ...parsePax(data) };
      else if (flag === "L") longName = cString(data);
      else if (flag === "K") longLink = cString(data);
      continue;
    }
    const prefix = cString(block.subarray(345, 500));
    const ustar = block.subarray(257, 262).toString("latin1") === "ustar";
    let name = cString(block.subarray(0, 100));
    if (ustar && prefix) name = `${prefix}/${name}`;
    const type = TYPES[flag] ?? "file";
    const header = {
      name: pax.path ?? longName ?? name,
      type,
      mode: readNumber(block, 100, 8),
      uid: pax.uid ? Number(pax.uid) : readNumber(block, 108, 8),
      gid: pax.gid ? Number(pax.gid) : readNumber(block, 116, 8),
      size: pax.size ? Number(pax.size) : size,
      mtime: pax.mtime ? Math.floor(Number(pax.mtime)) : readNumber(block, 136, 12),
      linkname: pax.linkpath ?? longLink ?? cString(block.subarray(157, 257)),
      devmajor: readNumber(block, 329, 8),
      devminor: readNumber(block, 337, 8),
      pax,
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    const contentSize = type === "file" ? header.size : 0;
    let consumed = false;
    async function* content(): AsyncGenerator<Buffer> {
      consumed = true;
      let left = contentSize;
      while (left > 0) {
        const chunk = await reader.chunk(Math.min(left, 1 << 20));
        if (chunk.length === 0) throw new Error("tar stream ended inside a file");
        left -= chunk.length;
        yield chunk;
      }
      await reader.read(padding(contentSize));
    }
    const entry: TarEntry = {
      header,
      content,
      skip: async () => {
        for await (const _ of content()) {
          // drain
        }
      },
    };
    yield entry;
    if (!consumed) await entry.skip();
  }
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString("utf8");
}

// Octal text, or GNU base-256 when the high bit of the first byte is set.
function readNumber(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if ((field[0] ?? 0) & 0x80) {
    let value = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = cString(field).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(data.subarray(offset, space).toString("ascii"));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals !== -1) {
      const key = record.subarray(0, equals).toString("utf8");
      // xattr values are binary: keep them as latin1 so every byte survives.
      const value = record.subarray(equals + 1).toString(key.startsWith("SCHILY.xattr.") ? "latin1" : "utf8");
      out[key] = value;
    }
    offset += length;
  }
  return out;
}
