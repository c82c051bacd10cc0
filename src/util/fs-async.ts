import * as fs from "node:fs";
import { promisify } from "node:util";

// bake's asynchronous file calls: node:fs's callback functions, promisified. They take the same arguments and give
// the same results and errors as node:fs/promises, without loading that module, which pulls in Node's readline and
// stream modules: some 1.5 ms of the start-up of every command that touches a file. Open files are descriptors
// (`openFile`, `readInto`, `syncFile`, `closeFile`), not FileHandle objects.

export const access = promisify(fs.access);
export const appendFile = promisify(fs.appendFile);
export const chmod = promisify(fs.chmod);
export const copyFile = promisify(fs.copyFile);
export const lchown = promisify(fs.lchown);
export const link = promisify(fs.link);
export const lstat = promisify(fs.lstat);
export const mkdir = promisify(fs.mkdir);
export const mkdtemp = promisify(fs.mkdtemp);
export const readFile = promisify(fs.readFile);
export const readdir = promisify(fs.readdir);
export const readlink = promisify(fs.readlink);
export const realpath = promisify(fs.realpath);
export const rename = promisify(fs.rename);
export const rm = promisify(fs.rm);
export const stat = promisify(fs.stat);
export const statfs = promisify(fs.statfs);
export const symlink = promisify(fs.symlink);
export const unlink = promisify(fs.unlink);
export const utimes = promisify(fs.utimes);
export const writeFile = promisify(fs.writeFile);

/** Opens a file and gives its descriptor; close it with {@link closeFile}. */
export const openFile = promisify(fs.open);
/** Reads into a buffer from a descriptor: `{ bytesRead, buffer }`. */
export const readInto = promisify(fs.read);
/** The stat of an open descriptor. */
export const statFile = promisify(fs.fstat);
/** Flushes a descriptor's writes to the disk. */
export const syncFile = promisify(fs.fsync);
export const closeFile = promisify(fs.close);

/**
 * Writes `data` to the file at `path` (opened with `flag`, "w" unless said, and `mode` if it is made) and flushes
 * it to the disk before returning: for a file that is renamed into place afterwards, so that a crash never leaves a
 * name on a partial file.
 */
export async function writeFileDurably(
  path: string,
  data: string | Uint8Array,
  options: { flag?: string; mode?: number } = {},
): Promise<void> {
  const fd = await openFile(path, options.flag ?? "w", options.mode ?? 0o666);
  try {
    await writeFile(fd, data);
    await syncFile(fd);
  } finally {
    await closeFile(fd);
  }
}
