import type { Stats } from "node:fs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BakeError } from "../../errors.js";
import { idRangeProblem, idSpecProblem, isNumericId, MAX_ID, parseId } from "../../recipe/ids.js";
import { lstat, readFile, readlink } from "../../util/fs-async.js";
import { opaqueSidecar } from "./store.js";

/** An entry of an image's file tree as the overlay would show it. */
export interface ImageEntry {
  /** The canonical path in the image, with every symlink before the last component resolved. */
  path: string;
  /** The layer directory the entry comes from (index into the directories given, top first). */
  layer: number;
  hostPath: string;
  stats: Stats;
}

const MAX_SYMLINKS = 40;

function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

const opaqueCache = new Map<string, Set<string>>();

// A layer dir's opaque directories, from the sidecar the store writes beside it (none for an upper in progress).
function opaqueDirs(dir: string): Set<string> {
  let found = opaqueCache.get(dir);
  if (!found) {
    try {
      found = new Set(JSON.parse(readFileSync(opaqueSidecar(dir), "utf8")) as string[]);
    } catch {
      found = new Set();
    }
    opaqueCache.set(dir, found);
  }
  return found;
}

/** The top-most entry at an exact path (no symlink resolution), or undefined when absent or whited out. */
async function entryAt(dirs: readonly string[], path: string): Promise<Omit<ImageEntry, "path"> | undefined> {
  const parts = splitPath(path);
  for (const [layer, dir] of dirs.entries()) {
    const hostPath = join(dir, path);
    try {
      const stats = await lstat(hostPath);
      if (isWhiteout(stats)) return undefined;
      return { layer, hostPath, stats };
    } catch {
      // Absent in this layer (or a parent is not a directory here): look below, unless a parent is opaque here.
    }
    const opaque = opaqueDirs(dir);
    if (opaque.size > 0) {
      for (let depth = 1; depth < parts.length; depth += 1) {
        if (opaque.has(parts.slice(0, depth).join("/"))) return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Looks a path up in an image made of layer directories (top first), following symlinks inside the image,
 * never on the host. `followLast` also resolves a symlink in the last component.
 */
export async function lookupImagePath(
  dirs: readonly string[],
  path: string,
  options: { followLast: boolean },
): Promise<{ path: string; entry?: ImageEntry }> {
  let pending = splitPath(path);
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [name, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (name === "..") {
      resolved.pop();
      continue;
    }
    const candidate = `/${[...resolved, name].join("/")}`;
    const found = await entryAt(dirs, candidate);
    // Nothing below a missing component can be a symlink, so the rest resolves lexically (never above the root).
    if (!found) return { path: `/${lexical([...resolved, name, ...pending]).join("/")}` };
    if (found.stats.isSymbolicLink() && (pending.length > 0 || options.followLast)) {
      links += 1;
      if (links > MAX_SYMLINKS) {
        throw new BakeError({
          code: "image-path",
          message: `too many symlinks resolving ${path} in the image`,
        });
      }
      const target = await readlink(found.hostPath);
      if (target.startsWith("/")) resolved = [];
      pending = [...splitPath(target), ...pending];
      continue;
    }
    resolved.push(name);
    if (pending.length === 0) return { path: candidate, entry: { path: candidate, ...found } };
  }
  return { path: "/", entry: await rootEntry(dirs) };
}

async function rootEntry(dirs: readonly string[]): Promise<ImageEntry | undefined> {
  const found = await entryAt(dirs, "/");
  return found ? { path: "/", ...found } : undefined;
}

function lexical(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out;
}

/** Splits an image path into components, dropping empty and `.` parts. */
export function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/** An image as a sandbox sees it: its layer directories (top first) and host directories bound over them. */
export interface ImageView {
  dirs: readonly string[];
  /** Host directories mounted over image paths (a `host` base's /etc, /usr...); they hide what the layers hold there. */
  binds?: readonly { source: string; target: string }[];
}

/**
 * The bind that shows a (canonical) image path in the sandbox, if any. Binds are mounted over the overlay, so a
 * path under one comes from the host, and the deepest bind wins.
 */
export function bindOver(view: ImageView, path: string): { source: string; target: string } | undefined {
  return [...(view.binds ?? [])]
    .sort((a, b) => b.target.length - a.target.length)
    .find((bind) => bind.target === "/" || path === bind.target || path.startsWith(`${bind.target}/`));
}

/** Reads a file of the image as the sandbox sees it, or undefined when it does not exist. */
export async function readImageFile(view: ImageView, path: string): Promise<Buffer | undefined> {
  const { path: resolved, entry } = await lookupImagePath(view.dirs, path, { followLast: true });
  const bind = bindOver(view, resolved);
  if (bind) {
    const hostPath = join(bind.source, resolved.slice(bind.target.length));
    return readFile(hostPath).catch(() => undefined);
  }
  if (!entry?.stats.isFile()) return undefined;
  return readFile(entry.hostPath);
}

/** A user as a step runs it: numeric ids inside the image. */
export interface ImageUser {
  uid: number;
  gid: number;
  home: string;
}

/**
 * Resolves `user`, `user:group`, `uid` or `uid:gid` against `/etc/passwd` and `/etc/group` as the sandbox will see
 * them: the merged layers, and the host's own files under a `host` base's binds.
 */
export async function resolveImageUser(view: ImageView, spec: string): Promise<ImageUser> {
  // The recipe's ids were checked when it was validated; an inherited config's `User` and the image's own files
  // were not, and a uid past 32 bits would wrap around (2^32 to root).
  const problem = idSpecProblem(spec, { field: "user" });
  if (problem) throw new BakeError(problem);
  const at = spec.indexOf(":");
  const userPart = at < 0 ? spec : spec.slice(0, at);
  const groupPart = at < 0 ? undefined : spec.slice(at + 1);
  const passwd = parseColonFile((await readImageFile(view, "/etc/passwd"))?.toString("utf8") ?? "");
  let uid: number;
  let gid: number | undefined;
  let home = "/";
  if (isNumericId(userPart)) {
    uid = Number(userPart);
    const row = passwd.find((fields) => fields[2] === userPart);
    if (row) {
      gid = imageId(row[3], { kind: "gid", file: "/etc/passwd", entry: `uid ${userPart}` });
      home = row[5] || "/";
    }
  } else {
    const row = passwd.find((fields) => fields[0] === userPart);
    if (!row) {
      throw new BakeError({
        code: "unknown-user",
        message: `user "${userPart}" does not exist in the image's /etc/passwd`,
        hint: "create it in an earlier step, or use a numeric uid[:gid]",
      });
    }
    const entry = `user "${userPart}"`;
    uid = imageId(row[2], { kind: "uid", file: "/etc/passwd", entry });
    gid = imageId(row[3], { kind: "gid", file: "/etc/passwd", entry });
    home = row[5] || "/";
  }
  if (groupPart !== undefined && groupPart !== "") {
    if (isNumericId(groupPart)) gid = Number(groupPart);
    else {
      const groups = parseColonFile((await readImageFile(view, "/etc/group"))?.toString("utf8") ?? "");
      const row = groups.find((fields) => fields[0] === groupPart);
      if (!row) {
        throw new BakeError({
          code: "unknown-group",
          message: `group "${groupPart}" does not exist in the image's /etc/group`,
          hint: "create it in an earlier step, or use a numeric gid",
        });
      }
      gid = imageId(row[2], { kind: "gid", file: "/etc/group", entry: `group "${groupPart}"` });
    }
  }
  return { uid, gid: gid ?? uid, home: uid === 0 && home === "/" ? "/root" : home };
}

// An id field of /etc/passwd or /etc/group: `Number("")` is 0 and `Number("4294967296")` wraps to root in the
// kernel, so anything but a uid or gid the kernel holds is refused.
function imageId(
  text: string | undefined,
  options: { kind: "uid" | "gid"; file: "/etc/passwd" | "/etc/group"; entry: string },
): number {
  const { kind, file } = options;
  const id = parseId(text ?? "");
  if (id !== undefined) return id;
  const where = `the image's ${file} entry for ${options.entry}`;
  if (text !== undefined && isNumericId(text)) throw new BakeError(idRangeProblem({ kind, text, where }));
  throw new BakeError({
    code: "bad-value",
    message: `${where} has ${kind} "${text ?? ""}", which is not a whole number from 0 to ${MAX_ID}`,
    hint: `fix that line of ${file} in an earlier step`,
  });
}

function parseColonFile(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}
