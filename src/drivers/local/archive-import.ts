import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { BakeError } from "../../errors.js";
import { closeFile, openFile, readInto } from "../../util/fs-async.js";
import type { Store } from "./store.js";
import { readTar } from "./tar-reader.js";

/** The files of an image archive: every regular file is stored as a blob; small JSON files are also kept. */
export interface ImportedArchive {
  blobs: Map<string, { digest: string; size: number }>;
  json: Map<string, unknown>;
}

const JSON_FILES = new Set(["index.json", "manifest.json", "oci-layout"]);

/** Streams an (optionally gzipped) image archive into the store, one blob per file. */
export async function importArchive(path: string, store: Store): Promise<ImportedArchive> {
  const source = await openArchive(path);
  const blobs = new Map<string, { digest: string; size: number }>();
  const json = new Map<string, unknown>();
  try {
    for await (const entry of readTar(source)) {
      if (entry.header.type !== "file") continue;
      const name = entry.header.name.replace(/^(\.\/)+/, "");
      if (JSON_FILES.has(name)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry.content()) chunks.push(chunk);
        json.set(name, JSON.parse(Buffer.concat(chunks).toString("utf8")));
        continue;
      }
      const writer = store.blobWriter();
      try {
        await pipeline(entry.content(), writer.stream);
      } catch (error) {
        await writer.abort();
        throw error;
      }
      const blob = await writer.commit();
      const named = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
      if (named && `sha256:${named[1]}` !== blob.digest) {
        throw new BakeError({
          code: "archive-corrupt",
          message: `${path}: ${name} does not match its digest (got ${blob.digest})`,
        });
      }
      blobs.set(name, blob);
    }
  } catch (error) {
    if (error instanceof BakeError) throw error;
    throw new BakeError({
      code: "archive-invalid",
      message: `${path} is not a readable image archive: ${error instanceof Error ? error.message : String(error)}`,
      hint: "pass a tar written by `docker save`, `podman save`, `skopeo copy ... oci-archive:` or `bake export`",
    });
  }
  return { blobs, json };
}

async function openArchive(path: string): Promise<Readable> {
  let head: Buffer;
  try {
    const fd = await openFile(path, "r");
    head = Buffer.alloc(2);
    try {
      await readInto(fd, head, 0, 2, 0);
    } finally {
      await closeFile(fd);
    }
  } catch (error) {
    throw new BakeError({
      code: "archive-missing",
      message: `cannot read image archive ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      hint: "check the path in the recipe's `from:` (relative to the recipe's directory)",
    });
  }
  const file = createReadStream(path);
  return head[0] === 0x1f && head[1] === 0x8b ? file.pipe(createGunzip()) : file;
}
