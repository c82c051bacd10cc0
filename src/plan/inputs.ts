import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import path from "node:path";
import { BakeError, isBakeError, withLocation } from "../errors.js";
import { recipeLocation } from "../recipe/locations.js";
import { sourceBytes } from "../recipe/source-bytes.js";
import type { Recipe } from "../recipe/types.js";
import { digest } from "../util/digest.js";
import { lstat, readdir, readFile, readlink, realpath, stat } from "../util/fs-async.js";
import { isInside } from "../util/path-inside.js";
import type { CopyEntry } from "./types.js";

/**
 * Everything the compiler needs from disk, gathered before it runs so that `compile()` stays pure:
 * the entries of every copy source and the digest of the recipe file.
 */
export interface RecipeInputs {
  /** Keyed by the copy step's `from` exactly as written in the recipe; entries sorted by path. */
  copies: Record<string, CopyEntry[]>;
  /** sha256 of the recipe file's bytes, `sha256:<hex>`. */
  recipeDigest: string;
}

// Files up to this size are read whole; larger ones are streamed through the hash.
const READ_WHOLE_LIMIT = 8 * 1024 * 1024;

/**
 * Walks every copy source of a recipe (relative to `recipe.source.root`) and hashes the recipe file.
 * Directory sources are walked in sorted order; symlinks inside them are recorded, not followed.
 * This is the only I/O the compiler pipeline does before `compile()`.
 * @throws BakeError (exit 2) when a source is missing, escapes the recipe root, or is a special file.
 */
export async function gatherInputs(recipe: Recipe): Promise<RecipeInputs> {
  const copies: Record<string, CopyEntry[]> = {};
  // Sources overlap (`files/` and `files/lib/`): each file is read and hashed once per call. Only within this
  // call, so a later call always reads the disk again.
  const digests: FileDigests = new Map();
  let realRoot: string | undefined;
  for (const [l, layer] of recipe.layers.entries()) {
    for (const [s, step] of layer.steps.entries()) {
      if (step.kind !== "copy" || Object.hasOwn(copies, step.from)) continue;
      realRoot ??= await realpath(recipe.source.root);
      try {
        const entries = await gatherCopySource({
          root: recipe.source.root,
          realRoot,
          from: step.from,
          digests,
        });
        // Defined, not set: a source named `__proto__` is a key like any other.
        Object.defineProperty(copies, step.from, {
          value: entries,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } catch (error) {
        if (!isBakeError(error)) throw error;
        throw withLocation(error, recipeLocation(recipe, ["layers", l, "steps", s, "copy", "from"]));
      }
    }
  }
  const read = sourceBytes(recipe);
  return { copies, recipeDigest: read ? digest(read) : await hashFile(recipe.source.file) };
}

/** File digests already taken in one {@link gatherInputs} call, by real path and what lstat said of the file. */
type FileDigests = Map<string, Promise<string>>;

async function gatherCopySource(options: {
  root: string;
  realRoot: string;
  from: string;
  digests: FileDigests;
}): Promise<CopyEntry[]> {
  const { root, realRoot, from, digests } = options;
  const absolute = path.resolve(root, from);
  let real: string;
  let info: Stats;
  try {
    real = await realpath(absolute);
    info = await stat(real);
  } catch {
    throw new BakeError({
      code: "copy-missing",
      message: `copy source "${from}" does not exist`,
      hint: `copy sources are relative to the recipe's directory (${root})`,
    });
  }
  // The same codes as the validator's copy rule: `..` that leaves the directory, or a symlink that does.
  if (!isInside(path.resolve(root), absolute)) {
    throw new BakeError({
      code: "copy-outside-root",
      message: `copy source "${from}" is outside the recipe's directory`,
      hint: "move the files next to the recipe (or the recipe up); `..` may not leave its directory",
    });
  }
  if (!isInside(realRoot, real)) {
    throw new BakeError({
      code: "copy-symlink-escape",
      message: `copy source "${from}" leads outside the recipe's directory through a symlink`,
      hint: "copy the real files next to the recipe instead of linking to them",
    });
  }
  if (info.isFile()) return [await fileEntry({ file: real, relative: "", info, digests })];
  if (!info.isDirectory()) throw specialFile(from, "");
  const found: Found[] = [];
  await walk({ dir: real, prefix: "", from, found });
  const entries = await mapLimited(found, HASH_CONCURRENCY, (item) => toEntry(item, digests));
  // Plain code-unit order of paths; a directory still precedes its contents, as a prefix sorts first.
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface Found {
  full: string;
  relative: string;
  info: Stats;
}

// Files hashed at once; enough to overlap I/O without running out of file descriptors.
const HASH_CONCURRENCY = 16;

async function walk(options: { dir: string; prefix: string; from: string; found: Found[] }): Promise<void> {
  const names = await readdir(options.dir);
  const infos = await Promise.all(names.map((name) => lstat(path.join(options.dir, name))));
  for (const [index, name] of names.entries()) {
    const info = infos[index] as Stats;
    const full = path.join(options.dir, name);
    const relative = options.prefix === "" ? name : `${options.prefix}/${name}`;
    if (!info.isSymbolicLink() && !info.isFile() && !info.isDirectory())
      throw specialFile(options.from, relative);
    options.found.push({ full, relative, info });
    if (info.isDirectory()) await walk({ ...options, dir: full, prefix: relative });
  }
}

async function toEntry({ full, relative, info }: Found, digests: FileDigests): Promise<CopyEntry> {
  if (info.isSymbolicLink()) {
    return { path: relative, type: "symlink", mode: info.mode & 0o7777, target: await readlink(full) };
  }
  if (info.isDirectory()) return { path: relative, type: "dir", mode: info.mode & 0o7777 };
  return fileEntry({ file: full, relative, info, digests });
}

// Like Promise.all over `items`, with at most `limit` calls in flight; results keep the input order.
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  call: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await call(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function fileEntry(options: {
  file: string;
  relative: string;
  info: Stats;
  digests: FileDigests;
}): Promise<CopyEntry> {
  const { file, info, digests } = options;
  // The same path seen with another size, time or inode is read again, as a different file.
  const key = `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}:${file}`;
  let digested = digests.get(key);
  if (digested === undefined) {
    digested = info.size <= READ_WHOLE_LIMIT ? readFile(file).then(digest) : hashStream(file);
    digests.set(key, digested);
  }
  return {
    path: options.relative,
    type: "file",
    mode: info.mode & 0o7777,
    size: info.size,
    digest: await digested,
  };
}

function specialFile(from: string, relative: string): BakeError {
  const where = relative === "" ? `"${from}"` : `"${relative}" in "${from}"`;
  return new BakeError({
    code: "copy-source-unsupported",
    message: `copy source ${where} is not a regular file, directory or symlink`,
    hint: "sockets, pipes and device files cannot be copied into an image",
  });
}

async function hashFile(file: string): Promise<string> {
  try {
    return digest(await readFile(file));
  } catch (error) {
    throw new BakeError({ code: "recipe-unreadable", message: `cannot read recipe "${file}"`, cause: error });
  }
}

async function hashStream(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}
