import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { type TarHeader, TarWriter } from "../../../src/drivers/local/tar-writer.js";

// Layer digests are image ids: the bytes this writer produces must never change, whichever code produces them.

async function archive(entries: { header: TarHeader; content?: Buffer }[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  const writer = new TarWriter(out);
  for (const entry of entries) await writer.entry(entry.header, entry.content);
  await writer.finish();
  return Buffer.concat(chunks);
}

const ENTRIES: { header: TarHeader; content?: Buffer }[] = [
  { header: { name: "etc/", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 } },
  {
    header: { name: "etc/app.conf", type: "file", mode: 0o644, uid: 1000, gid: 1000, size: 3, mtime: 0 },
    content: Buffer.from("hi\n"),
  },
  {
    header: {
      name: "bin/sh",
      type: "symlink",
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      linkname: "busybox",
    },
  },
  {
    header: { name: `${"d/".repeat(140)}file`, type: "file", mode: 0o600, uid: 0, gid: 0, size: 0, mtime: 5 },
  },
];

describe("TarWriter", () => {
  test("writes numeric fields as GNU tar does: seven octal digits and a NUL", async () => {
    const bytes = await archive(ENTRIES.slice(0, 2));
    const field = (block: number, offset: number, length: number) =>
      bytes.subarray(block * 512 + offset, block * 512 + offset + length).toString("latin1");
    expect(field(0, 100, 8)).toBe("0000755\0");
    expect(field(1, 108, 8)).toBe("0001750\0");
    expect(field(1, 124, 12)).toBe("00000000003\0");
    expect(field(1, 257, 8)).toBe("ustar\u000000");
  });

  test("produces exactly the bytes it always has (a pinned digest), PAX header for a long name included", async () => {
    const bytes = await archive(ENTRIES);
    expect(bytes.length).toBe(512 * 9);
    // GNU tar reads it back, long name and all.
    const listed = spawnSync("tar", ["-tf", "-"], { input: bytes, encoding: "utf8" }).stdout.split("\n");
    expect(listed).toEqual(["etc/", "etc/app.conf", "bin/sh", `${"d/".repeat(140)}file`, ""]);
    expect(`sha256:${createHash("sha256").update(bytes).digest("hex")}`).toBe(
      "sha256:f3c4223cbf00d286be0c0e8b73fccc300f6fede86eabd7cdd0230ad3ec284a9a",
    );
  });
});
