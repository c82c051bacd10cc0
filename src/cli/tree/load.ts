import { resolve } from "node:path";
import { BakeError } from "../../errors.js";
import type { Manifest } from "../../manifest/manifest.js";
import { readVarFile } from "../../recipe/var-file.js";
import { discoverRecipes } from "../../run/tree/discover.js";
import { buildTree, type RecipeTree, type TreeRecipe } from "../../run/tree/graph.js";
import { loadTreeRecipes } from "../../run/tree/load-tree.js";
import { stat } from "../../util/fs-async.js";
import { type CommandIO, type OptionValues, optionStrings } from "../io.js";

/** A tree of recipes found from the command line, and the variables it shares. */
export interface LoadedTree {
  tree: RecipeTree;
  recipes: TreeRecipe[];
  vars: Map<string, string>;
}

/**
 * Finds the recipes the command names (files, directories, patterns), checks they form a tree against what the
 * manifest holds, and gathers `--var-file` and `--var` values (later wins, `--var` over files).
 */
export async function loadTreeForCommand(
  inputs: readonly string[],
  options: { values: OptionValues; io: CommandIO; manifest: Manifest },
): Promise<LoadedTree> {
  const paths = await discoverRecipes(inputs.length > 0 ? inputs : ["."], { cwd: options.io.cwd });
  const recipes = await loadTreeRecipes(paths, { cwd: options.io.cwd });
  const known = new Set(options.manifest.records().map((record) => record.lineage));
  const tree = buildTree(recipes, { known: (lineage) => known.has(lineage) });
  const vars = await treeVars(options.values, options.io);
  const declared = new Set(recipes.flatMap((recipe) => recipe.vars));
  for (const name of vars.keys()) {
    if (!declared.has(name)) {
      throw new BakeError({
        code: "var-unknown",
        message: `\`${name}\` is set, but no recipe of this build declares it`,
        hint: `declared variables: ${[...declared].sort().join(", ") || "(none)"}`,
      });
    }
  }
  return { tree, recipes, vars };
}

// Var files first, then --var pairs: each later value wins, as for a single recipe.
async function treeVars(values: OptionValues, io: CommandIO): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  for (const file of optionStrings(values, "var-file")) {
    for (const [name, value] of Object.entries(await readVarFile(resolve(io.cwd, file), file))) {
      vars.set(name, typeof value === "string" ? value : JSON.stringify(value));
    }
  }
  for (const pair of optionStrings(values, "var")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new BakeError({
        code: "usage",
        message: "--var expects NAME=VALUE",
        hint: "for example: --var app_version=2.5.0",
      });
    }
    vars.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return vars;
}

/** Whether a command-line argument names several recipes: a directory or a pattern, not one recipe file. */
export async function namesTree(input: string, cwd: string): Promise<boolean> {
  if (/[*?[]/.test(input)) return true;
  return (await stat(resolve(cwd, input)).catch(() => undefined))?.isDirectory() === true;
}
