import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { BakeError } from "../../errors.js";
import { type IdMapping, toSandboxId } from "./idmap.js";
import { HOST_PATH, spawnNamespaced } from "./namespace.js";
import type { Store } from "./store.js";
import { readTar } from "./tar-reader.js";
import { type TarHeader, TarWriter } from "./tar-writer.js";

/** A layer blob written to the store. */
export interface CapturedLayer {
  /** `sha256:` of the compressed blob (the descriptor digest). */
  digest: string;
  size: number;
  /** `sha256:` of the uncompressed tar (the config's diff id). */
  diffId: string;
  /** Directories (relative, no trailing slash) the layer replaces wholesale: lower layers show nothing under them. */
  opaque: string[];
}

const OPAQUE_KEYS = ["SCHILY.xattr.user.overlay.opaque", "SCHILY.xattr.trusted.overlay.opaque"];

/**
 * Turns a directory (an overlay upper dir, or a rootfs) into a reproducible gzipped layer: entries sorted by name,
 * times clamped to `epoch`, owners as the image sees them, no user or group names, whiteout devices as `.wh.NAME`
 * and opaque directories as `.wh..wh..opq`. The same tree gives the same digest.
 */
export async function captureLayer(input: {
  dir: string;
  store: Store;
  mapping: IdMapping;
  /** Seconds since the epoch that every mtime is clamped to (SOURCE_DATE_EPOCH, else 0). */
  epoch: number;
  /**
   * `sandbox` reads as the sandbox's root (an upper dir a sandbox wrote); `host` reads as the caller, mapping host
   * owners into the sandbox's ids, unmapped ones to root (a rootfs directory imported as a base). @default "sandbox"
   */
  readAs?: "sandbox" | "host";
}): Promise<CapturedLayer> {
  const argv = [
    "tar",
    "-c",
    "-f",
    "-",
    "-C",
    input.dir,
    "--numeric-owner",
    "--sort=name",
    "--format=posix",
    "--xattrs",
    "--xattrs-include=user.overlay.opaque",
    "--xattrs-include=trusted.overlay.opaque",
    ".",
  ];
  const asHost = input.readAs === "host" || input.mapping.kind === "identity";
  const tar = await startTar(argv, asHost ? undefined : input.mapping);
  const mapping = input.mapping;
  const owner =
    asHost && mapping.kind !== "identity"
      ? (uid: number, gid: number) => ({
          uid: toSandboxId(mapping.uids, uid) ?? 0,
          gid: toSandboxId(mapping.gids, gid) ?? 0,
        })
      : (uid: number, gid: number) => ({ uid, gid });
  const blob = input.store.blobWriter();
  const diffHash = createHash("sha256");
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      diffHash.update(chunk);
      callback(null, chunk);
    },
  });
  const normalized = new PassThrough();
  const opaque: string[] = [];
  const writing = pipeline(normalized, tee, createGzip({ level: constants.Z_BEST_SPEED }), blob.stream);
  try {
    await Promise.all([
      normalize({ source: tar.stdout, out: normalized, epoch: input.epoch, owner, opaque }),
      writing,
      tar.done,
    ]);
  } catch (error) {
    normalized.destroy();
    await blob.abort();
    throw error;
  }
  const { digest, size } = await blob.commit();
  return { digest, size, diffId: `sha256:${diffHash.digest("hex")}`, opaque };
}

// Without a mapping, tar runs directly as the caller.
async function startTar(
  argv: string[],
  mapping: IdMapping | undefined,
): Promise<{ stdout: Readable; done: Promise<void> }> {
  const errors: string[] = [];
  let stdout: Readable;
  let exited: Promise<number>;
  if (mapping === undefined) {
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: HOST_PATH },
    });
    child.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString("utf8")));
    stdout = child.stdout;
    exited = new Promise((resolve) => child.once("close", (code) => resolve(code ?? 1)));
  } else {
    const proc = await spawnNamespaced({ argv, mapping, sandbox: false });
    proc.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString("utf8")));
    stdout = proc.stdout;
    exited = proc.exited;
  }
  const done = exited.then((code) => {
    // GNU tar exits 1 when files changed while reading; the tree is ours and quiet, so only 2+ is an error.
    if (code > 1) {
      throw new BakeError({
        code: "layer-capture",
        message: `cannot read the layer's files (tar exited with ${code})`,
        detail: errors.join("").trim() || undefined,
        exitCode: 1,
      });
    }
  });
  return { stdout, done };
}

async function normalize(input: {
  source: Readable;
  out: PassThrough;
  epoch: number;
  owner: (uid: number, gid: number) => { uid: number; gid: number };
  opaque: string[];
}): Promise<void> {
  const { source, out, epoch, owner } = input;
  const writer = new TarWriter(out);
  try {
    for await (const entry of readTar(source)) {
      const name = entry.header.name.replace(/^\.\//, "");
      if (name === "" || name === "." || name === "./") continue;
      const slash = name.replace(/\/$/, "").lastIndexOf("/");
      const parent = slash === -1 ? "" : name.slice(0, slash + 1);
      const base = name.slice(slash + 1);
      const mtime = Math.min(Math.max(0, entry.header.mtime), epoch);
      if (entry.header.type === "char" && entry.header.devmajor === 0 && entry.header.devminor === 0) {
        await writer.header(marker(`${parent}.wh.${base}`, mtime));
        continue;
      }
      const header: TarHeader = {
        name: entry.header.type === "dir" && !name.endsWith("/") ? `${name}/` : name,
        type: entry.header.type,
        mode: entry.header.mode & 0o7777,
        ...owner(entry.header.uid, entry.header.gid),
        size: entry.header.type === "file" ? entry.header.size : 0,
        mtime,
        linkname:
          entry.header.type === "hardlink"
            ? (entry.header.linkname ?? "").replace(/^\.\//, "")
            : entry.header.linkname,
        devmajor: entry.header.devmajor,
        devminor: entry.header.devminor,
      };
      await writer.header(header);
      if (header.type === "file" && header.size > 0) {
        for await (const chunk of entry.content()) await writer.body(chunk);
        await writer.pad(header.size);
      }
      if (header.type === "dir" && OPAQUE_KEYS.some((key) => entry.header.pax[key]?.startsWith("y"))) {
        await writer.header(marker(`${header.name}.wh..wh..opq`, mtime));
        input.opaque.push(header.name.replace(/\/$/, ""));
      }
    }
    await writer.finish();
  } finally {
    out.end();
  }
}

function marker(name: string, mtime: number): TarHeader {
  return { name, type: "file", mode: 0, uid: 0, gid: 0, size: 0, mtime };
}
