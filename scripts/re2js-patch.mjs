// One change to re2js as the CLI bundle carries it (scripts/bundle-cli.mjs), for start-up only: what it matches is
// unchanged.
//
// re2js 2.10's compiler (Compiler.rune) asks for a literal character's case-folding orbit before it looks at whether
// the regexp folds case at all. The first pattern with a single literal character, such as the `\.` of a version
// pattern, then decodes re2js's whole case-folding table (some 2,800 entries into a Map): about 1.5 ms and 0.6 MB of
// garbage, which costs `bake validate` of a recipe with a `pattern` variable two young-generation collections on top.
// The patch tests the flag first. The flag is all that is left of `flags` there, and a case-folding bit already clear
// stays clear whatever the orbit is, so the patched line computes the same `flags` without the lookup whenever
// the regexp does not fold case. test/recipe/re2js-patch.test.ts runs patched and unpatched re2js side by side.
//
// The library (tsc's dist/) uses re2js as installed. If re2js changes the line, the build stops here: check whether
// the lookup is still made before the flag, then update the patch or drop it.

import { readFile } from "node:fs/promises";

/** re2js's CommonJS build, the file esbuild bundles. */
export const RE2JS_BUILD = /[\\/]node_modules[\\/]re2js[\\/]build[\\/]index\.cjs$/;

const UNPATCHED =
  "if (runes.length !== 1 || Unicode.simpleFold(runes[0]) === runes[0]) flags &= ~RE2Flags.FOLD_CASE;";
const PATCHED =
  "if (flags === 0 || runes.length !== 1 || Unicode.simpleFold(runes[0]) === runes[0]) flags &= ~RE2Flags.FOLD_CASE;";
/** The line before, which leaves only the case-folding bit in `flags`: the patch is right only after it. */
const MASK = "flags &= RE2Flags.FOLD_CASE;";

/** re2js's build source with the patch applied; throws when the source is not the one the patch was written for. */
export function patchRe2js(source) {
  const at = source.indexOf(UNPATCHED);
  const once = at !== -1 && source.indexOf(UNPATCHED, at + 1) === -1;
  const masked = once && source.slice(0, at).trimEnd().endsWith(MASK);
  if (!masked)
    throw new Error(
      "re2js changed: scripts/re2js-patch.mjs no longer applies to its Compiler.rune; see that file for what it " +
        "patches, then update the patch or remove it",
    );
  return source.slice(0, at) + PATCHED + source.slice(at + UNPATCHED.length);
}

/** The esbuild plugin that bundles re2js patched. */
export const re2jsPatch = {
  name: "re2js-fold-check",
  setup(bundler) {
    bundler.onLoad({ filter: RE2JS_BUILD }, async (args) => ({
      contents: patchRe2js(await readFile(args.path, "utf8")),
      loader: "js",
    }));
  },
};
