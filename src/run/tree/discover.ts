import type { Dirent } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { BakeError } from "../../errors.js";
import { readdir, stat } from "../../util/fs-async.js";

/** The recipe files a directory holds: `recipe.yaml` and `*.bake.yaml`. */
export function isRecipeFileName(name: string): boolean {
  return name === "recipe.yaml" || name.endsWith(".bake.yaml");
}

// Never descended into: dependencies, VCS and tool state (dot-directories, bake's own store among them).
function skipped(dir: Dirent): boolean {
  return dir.name === "node_modules" || dir.name.startsWith(".");
}

const GLOB_CHARS = /[*?[]/;

/**
 * Expands what `bake build` was given into recipe files: a file is taken as it is, a directory means every
 * `recipe.yaml` and `*.bake.yaml` under it (skipping `node_modules` and dot-directories), and a pattern with
 * `*`, `**`, `?` or `[...]` matches recipe paths relative to `cwd`. Returns absolute paths, sorted, each once.
 *
 * @throws BakeError (exit 2) for a path that does not exist, or a directory or pattern that finds no recipe.
 */
export async function discoverRecipes(
  inputs: readonly string[],
  options: { cwd: string },
): Promise<string[]> {
  const found = new Set<string>();
  for (const input of inputs) {
    const before = found.size;
    if (GLOB_CHARS.test(input)) {
      for (const file of await matchPattern(input, options.cwd)) found.add(file);
      if (found.size === before) {
        throw new BakeError({
          code: "recipes-not-found",
          message: `no recipe matches ${input}`,
          hint: "recipes are named recipe.yaml or NAME.bake.yaml; quote the pattern so bake, not the shell, expands it",
        });
      }
      continue;
    }
    const path = resolve(options.cwd, input);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) {
      throw new BakeError({
        code: "recipes-not-found",
        message: `no recipe or directory at ${input}`,
        hint: "pass recipe files, directories that hold recipe.yaml or NAME.bake.yaml files, or a quoted pattern",
      });
    }
    if (info.isDirectory()) {
      for (const file of await recipesUnder(path)) found.add(file);
      if (found.size === before) {
        throw new BakeError({
          code: "recipes-not-found",
          message: `${input} holds no recipe`,
          hint: "bake looks for files named recipe.yaml or NAME.bake.yaml (node_modules and dot-directories are skipped)",
        });
      }
    } else {
      found.add(path);
    }
  }
  return [...found].sort();
}

async function recipesUnder(root: string): Promise<string[]> {
  const files: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (!skipped(entry)) pending.push(join(dir, entry.name));
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isRecipeFileName(entry.name)) {
        files.push(join(dir, entry.name));
      }
    }
  }
  return files;
}

// Walks from the pattern's fixed leading directories and keeps the recipe files whose relative path matches.
async function matchPattern(pattern: string, cwd: string): Promise<string[]> {
  const parts = pattern.split("/");
  const fixed: string[] = [];
  while (parts.length > 1 && !GLOB_CHARS.test(parts[0] as string)) fixed.push(parts.shift() as string);
  const base = resolve(cwd, fixed.join("/") || ".");
  const matcher = globToRegExp(parts.join("/"));
  const info = await stat(base).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const candidates = await allFilesUnder(base);
  return candidates.filter((file) => matcher.test(relative(base, file).split(sep).join("/")));
}

async function allFilesUnder(root: string): Promise<string[]> {
  const files: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skipped(entry)) pending.push(join(dir, entry.name));
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        files.push(join(dir, entry.name));
      }
    }
  }
  return files;
}

/** A glob (`*` within a name, `**` across directories, `?`, `[abc]`) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] as string;
    if (char === "*" && glob[index + 1] === "*") {
      // `**/` matches any number of directories, including none.
      if (glob[index + 2] === "/") {
        source += "(?:[^/]+/)*";
        index += 2;
      } else {
        source += ".*";
        index += 1;
      }
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const close = glob.indexOf("]", index + 1);
      if (close === -1) source += "\\[";
      else {
        source += `[${glob.slice(index + 1, close).replace(/\\/g, "\\\\")}]`;
        index = close;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
