import type { Writable } from "node:stream";

/** The kinds of tar entries a layer holds. */
export type TarType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

/** One tar entry's header. Names are relative, `/`-separated, without a leading `./`; directories end in `/`. */
export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra PAX records (for example `SCHILY.xattr.*`), written sorted. */
  pax?: Record<string, string>;
}

const TYPE_FLAGS: Record<TarType, string> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);
const FLUSH_BYTES = 256 * 1024;

/**
 * Writes a reproducible POSIX tar: ustar headers with empty user/group names, PAX records (under the fixed
 * name `PaxHeader`) only for long names or large numbers, and two zero blocks at the end.
 */
// Why not tar-stream (issue 10 asked to prefer a library): its headers are not these bytes. It writes numeric
// fields as six octal digits, a space and a NUL ("000755 \0") where GNU tar and this writer write seven digits and a
// NUL ("0000755\0"), and its PAX headers carry the entry's mode, owner and time where these carry fixed ones. Layer
// digests are image ids and cache results, so every image bake ever built would get a new id on a rebuild; the
// pinned-bytes test in test/drivers/local/tar-writer.test.ts fails if this writer's output changes.
export class TarWriter {
  readonly #out: Writable;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(out: Writable) {
    this.#out = out;
  }

  /** Writes a header; the caller then writes exactly `size` bytes of content with {@link body} and {@link pad}. */
  async header(header: TarHeader): Promise<void> {
    const pax: Record<string, string> = { ...header.pax };
    const name = Buffer.from(header.name, "utf8");
    let ustarName = header.name;
    let prefix = "";
    if (name.length > 100) {
      const split = splitName(header.name);
      if (split) ({ name: ustarName, prefix } = split);
      else pax.path = header.name;
    }
    const linkname = header.linkname ?? "";
    if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
    if (header.size > 0o77777777777) pax.size = String(header.size);
    if (header.uid > 0o7777777) pax.uid = String(header.uid);
    if (header.gid > 0o7777777) pax.gid = String(header.gid);
    if (Object.keys(pax).length > 0) {
      const records = Buffer.from(
        Object.keys(pax)
          .sort()
          .map((key) => paxRecord(key, pax[key] as string))
          .join(""),
        "utf8",
      );
      await this.#write(
        encodeHeader({
          name: "PaxHeader",
          type: "x",
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: records.length,
          mtime: 0,
        }),
      );
      await this.body(records);
      await this.pad(records.length);
    }
    await this.#write(
      encodeHeader({
        name: pax.path ? truncate(header.name, 100) : ustarName,
        prefix,
        type: TYPE_FLAGS[header.type],
        mode: header.mode,
        uid: Math.min(header.uid, 0o7777777),
        gid: Math.min(header.gid, 0o7777777),
        size: header.type === "file" ? Math.min(header.size, 0o77777777777) : 0,
        mtime: header.mtime,
        linkname: pax.linkpath ? truncate(linkname, 100) : linkname,
        devmajor: header.devmajor,
        devminor: header.devminor,
      }),
    );
  }

  /** Writes content bytes. */
  async body(chunk: Buffer): Promise<void> {
    await this.#write(chunk);
  }

  /** Pads the content of `size` bytes to a whole block. */
  async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest !== 0) await this.#write(ZERO_BLOCK.subarray(0, BLOCK - rest));
  }

  /** Writes a whole entry with its content. */
  async entry(header: TarHeader, content?: Buffer): Promise<void> {
    await this.header({ ...header, size: content?.length ?? 0 });
    if (content && content.length > 0) {
      await this.body(content);
      await this.pad(content.length);
    }
  }

  /** Writes the end-of-archive marker and flushes everything buffered. */
  async finish(): Promise<void> {
    await this.#write(Buffer.concat([ZERO_BLOCK, ZERO_BLOCK]));
    await this.#flush();
  }

  // Headers and small files are batched: one stream write per ~256 KiB instead of several per entry.
  async #write(chunk: Buffer): Promise<void> {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= FLUSH_BYTES) await this.#flush();
  }

  #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return Promise.resolve();
    const data = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    return new Promise((resolve, reject) => {
      const ok = this.#out.write(data, (error) => (error ? reject(error) : undefined));
      if (ok) resolve();
      else this.#out.once("drain", resolve);
    });
  }
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return `${length}${body}`;
}

// ustar splits long names at a `/` into a 155-byte prefix and a 100-byte name.
function splitName(name: string): { name: string; prefix: string } | undefined {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length > 256) return undefined;
  for (let i = Math.min(155, bytes.length - 1); i > 0; i -= 1) {
    if (bytes[i] !== 0x2f) continue;
    const prefix = bytes.subarray(0, i);
    const rest = bytes.subarray(i + 1);
    if (rest.length > 0 && rest.length <= 100 && isAscii(prefix) && isAscii(rest)) {
      return { name: rest.toString("utf8"), prefix: prefix.toString("utf8") };
    }
  }
  return undefined;
}

function isAscii(bytes: Buffer): boolean {
  return bytes.every((byte) => byte < 0x80);
}

function truncate(text: string, bytes: number): string {
  return Buffer.from(text, "utf8").subarray(0, bytes).toString("latin1");
}

function encodeHeader(fields: {
  name: string;
  prefix?: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, "utf8");
  octal(block, 100, 8, fields.mode & 0o7777);
  octal(block, 108, 8, fields.uid);
  octal(block, 116, 8, fields.gid);
  octal(block, 124, 12, fields.size);
  octal(block, 136, 12, Math.max(0, Math.floor(fields.mtime)));
  block.write(fields.type, 156, 1, "ascii");
  block.write(fields.linkname ?? "", 157, 100, "utf8");
  block.write("ustar\u000000", 257, 8, "ascii");
  octal(block, 329, 8, fields.devmajor ?? 0);
  octal(block, 337, 8, fields.devminor ?? 0);
  block.write(fields.prefix ?? "", 345, 155, "utf8");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  octal(block, 148, 7, sum);
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, length, "ascii");
}
