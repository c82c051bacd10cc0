import { createReadStream } from "node:fs";
import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { BakeError } from "../../errors.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import type { IdMapping } from "./idmap.js";
import { runAsSandboxRoot } from "./namespace.js";
import { readTar } from "./tar-reader.js";
import { type TarHeader, TarWriter } from "./tar-writer.js";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
const OPAQUE_XATTR = "SCHILY.xattr.user.overlay.opaque";

/**
 * Unpacks an OCI layer blob into a directory usable as an overlay lower: `.wh.NAME` entries become 0/0 character
 * devices and `.wh..wh..opq` marks its directory opaque (`user.overlay.opaque`), as overlayfs expects.
 * GNU tar does the writing, as the sandbox's root, so owners land mapped as the sandbox will see them.
 */
export async function unpackLayer(input: {
  blob: string;
  dir: string;
  mapping: IdMapping;
}): Promise<{ opaque: string[] }> {
  await makeDirectoriesAsync(input.dir);
  const converted = new PassThrough();
  const source = await decompressed(input.blob);
  const opaque: string[] = [];
  const conversion = convertToOverlay(source, converted, opaque);
  const extraction = runAsSandboxRoot({
    argv: [
      "tar",
      "-x",
      "-f",
      "-",
      "-C",
      input.dir,
      "--numeric-owner",
      input.mapping.kind === "single" ? "--no-same-owner" : "--same-owner",
      "--same-permissions",
      "--xattrs",
      "--xattrs-include=user.overlay.opaque",
      "--no-overwrite-dir",
    ],
    mapping: input.mapping,
    input: converted,
  });
  const [converting, extracting] = await Promise.allSettled([conversion, extraction]);
  if (converting.status === "rejected") {
    throw new BakeError({
      code: "layer-corrupt",
      message: `cannot read layer ${input.blob}: ${String((converting.reason as Error)?.message ?? converting.reason)}`,
      exitCode: 1,
    });
  }
  if (extracting.status === "rejected") throw extracting.reason;
  return { opaque };
}

async function decompressed(blob: string): Promise<Readable> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = createReadStream(blob, { start: 0, end: 1 });
    stream.on("data", (chunk) => chunks.push(chunk as Buffer));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
  const file = createReadStream(blob);
  return head[0] === 0x1f && head[1] === 0x8b ? file.pipe(createGunzip()) : file;
}

async function convertToOverlay(source: Readable, out: PassThrough, opaque: string[]): Promise<void> {
  const writer = new TarWriter(out);
  const dirs = new Map<string, TarHeader>();
  try {
    for await (const entry of readTar(source)) {
      const name = cleanName(entry.header.name);
      if (name === undefined) continue;
      const slash = name.replace(/\/$/, "").lastIndexOf("/");
      const parent = slash === -1 ? "" : name.slice(0, slash + 1);
      const base = name.slice(slash + 1).replace(/\/$/, "");
      const { pax: _pax, ...plain } = entry.header;
      if (base === OPAQUE) {
        if (parent === "") continue;
        const dir = dirs.get(parent) ?? {
          ...plain,
          name: parent,
          type: "dir" as const,
          mode: 0o755,
          size: 0,
        };
        await writer.header({ ...dir, size: 0, pax: { [OPAQUE_XATTR]: "y" } });
        opaque.push(parent.replace(/\/$/, ""));
        continue;
      }
      if (base.startsWith(WHITEOUT)) {
        const hidden = `${parent}${base.slice(WHITEOUT.length)}`;
        await writer.header({
          ...plain,
          name: hidden,
          type: "char",
          mode: 0,
          size: 0,
          devmajor: 0,
          devminor: 0,
        });
        continue;
      }
      const header: TarHeader = {
        ...plain,
        name: entry.header.type === "dir" && !name.endsWith("/") ? `${name}/` : name,
        linkname:
          entry.header.type === "hardlink" ? cleanName(entry.header.linkname ?? "") : entry.header.linkname,
      };
      if (header.type === "dir") dirs.set(header.name, header);
      await writer.header(header);
      if (header.type === "file" && header.size > 0) {
        for await (const chunk of entry.content()) await writer.body(chunk);
        await writer.pad(header.size);
      }
    }
    await writer.finish();
  } finally {
    out.end();
  }
}

// Layer entry names are relative; drop `./` and leading slashes, and refuse to climb out with `..`.
function cleanName(name: string): string | undefined {
  const trimmed = name.replace(/^(\.\/|\/)+/, "");
  if (trimmed === "" || trimmed === "." || trimmed === "./") return undefined;
  if (trimmed.split("/").includes("..")) return undefined;
  return trimmed;
}
