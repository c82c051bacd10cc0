import { sep } from "node:path";

/**
 * Whether `candidate` is `root` or lies under it. Both must be absolute and normalised (by `path.resolve` or
 * `realpath`): then inside means the root itself or a path that starts with `root/`, the same answer as asking
 * `path.relative` for a leading `..`, without building the relative path.
 */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  return candidate.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}
