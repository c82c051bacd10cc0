import type { Stats } from "node:fs";

/** What a file that is not a regular file or a directory is, for messages: "a named pipe (FIFO)", "a socket", ... */
export function fileKind(info: Stats): string {
  if (info.isFIFO()) return "a named pipe (FIFO)";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  return "a special file";
}
