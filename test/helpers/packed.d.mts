/** The repository root. */
export const repo: string;
/** Runs `npm pack` on the repository into `dir`; returns the tarball's path and the files it holds. */
export function packTarball(dir: string): { tarball: string; files: string[] };
/** The exact version of a package installed in the repository. */
export function repoVersion(name: string): string;
/** Writes `project`'s dependencies and runs `npm install`, preferring npm's cache. */
export function installInto(project: string, dependencies: Record<string, string>): void;
