import { realpathSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { isInside } from "../../util/path-inside.js";
import { type Rule, report } from "./context.js";

/** A `copy` source exists and stays inside the recipe's directory, also after following symlinks. */
export const copySourcesInsideRoot: Rule = (ctx) => {
  let realRoot: string | undefined;
  // Recipes copy the same source into several layers; resolve each path once per validation.
  const resolved = new Map<string, string | undefined>();
  const realPathOnce = (path: string): string | undefined => {
    if (!resolved.has(path)) resolved.set(path, realPath(path));
    return resolved.get(path);
  };
  ctx.recipe.layers.forEach((layer, layerIndex) => {
    layer.steps.forEach((step, stepIndex) => {
      if (!("copy" in step)) return;
      const from = step.copy.from;
      const target = { path: ["layers", layerIndex, "steps", stepIndex, "copy", "from"] };
      if (from.includes("${")) {
        report(ctx, "error", target, {
          code: "copy-interpolation",
          message: "a `copy` source cannot use variables",
          hint: "name the path as it is on disk, so it can be checked and hashed before the build",
        });
        return;
      }
      if (isAbsolute(from)) {
        report(ctx, "error", target, {
          code: "copy-absolute",
          message: `copy source \`${from}\` is an absolute path`,
          hint: "write it relative to the recipe's directory; a recipe only copies files from beside it",
        });
        return;
      }
      const path = resolve(ctx.root, from);
      if (!isInside(ctx.root, path)) {
        report(ctx, "error", target, {
          code: "copy-outside-root",
          message: `copy source \`${from}\` is outside the recipe's directory`,
          hint: "move the files next to the recipe (or the recipe up); `..` may not leave its directory",
        });
        return;
      }
      if (!ctx.checkFiles) return;
      // One realpath call both proves the source exists and resolves every symlink on the way.
      const real = realPathOnce(path);
      if (real === undefined) {
        report(ctx, "error", target, {
          code: "copy-missing",
          message: `copy source \`${from}\` does not exist`,
          hint: `paths are relative to the recipe's directory, ${ctx.root}`,
        });
        return;
      }
      realRoot ??= realPath(ctx.root) ?? ctx.root;
      if (!isInside(realRoot, real)) {
        report(ctx, "error", target, {
          code: "copy-symlink-escape",
          message: `copy source \`${from}\` leads outside the recipe's directory through a symlink`,
          hint: "copy the real files next to the recipe instead of linking to them",
        });
      }
    });
  });
};

function realPath(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}
