// The CLI bundle carries re2js with one line patched for start-up (scripts/re2js-patch.mjs): Compiler.rune tests
// the case-folding flag before it looks up a character's case-folding orbit. These tests hold the patch to "same
// answers": patched and unpatched re2js compile and match generated patterns side by side, case folding included.
import { readdirSync, readFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import fc from "fast-check";
import type { RE2JS as RE2JSClass } from "re2js";
import { beforeAll, describe, expect, test } from "vitest";
import { patchRe2js } from "../../scripts/re2js-patch.mjs";
import { ensureBuilt, repo } from "../helpers/compiled-cli.js";

type Engine = typeof RE2JSClass;
const require = createRequire(import.meta.url);
const re2jsFile = require.resolve("re2js");
const original = (require("re2js") as { RE2JS: Engine }).RE2JS;

/** re2js as the bundle has it: its build file patched, compiled as a module of its own. */
function loadPatched(): Engine {
  const patched = new Module(re2jsFile) as Module & { _compile(source: string, filename: string): void };
  patched.filename = re2jsFile;
  patched.paths = [join(dirname(re2jsFile), "node_modules")];
  patched._compile(patchRe2js(readFileSync(re2jsFile, "utf8")), re2jsFile);
  return (patched.exports as { RE2JS: Engine }).RE2JS;
}

/** What an engine says of a pattern and some inputs: its error, or the full match and first match of each. */
function answers(engine: Engine, pattern: string, flags: number, inputs: string[]): unknown {
  let regex: RE2JSClass;
  try {
    regex = engine.compile(pattern, flags);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  return inputs.map((input) => {
    const matcher = regex.matcher(input);
    return { full: regex.matches(input), first: matcher.find() ? [matcher.start(), matcher.end()] : null };
  });
}

// Characters with case-folding orbits of two and more (k, K and the Kelvin sign; s, S and the long s; the sigmas),
// next to ones without, and the syntax around them.
const LETTERS = [
  "a",
  "A",
  "k",
  "K",
  "\u212a",
  "s",
  "S",
  "\u017f",
  "\u03c3",
  "\u03a3",
  "\u03c2",
  "\u00df",
  "0",
  ".",
];
const TOKENS = [
  ...LETTERS,
  "\\.",
  "[a-z]",
  "[^k]",
  "[k-s]",
  "[[:alpha:]]",
  "\\pL",
  "\\p{Greek}",
  "\\d",
  "\\w",
  "\\b",
  "(?i)",
  "(?i:",
  "(?-i)",
  "(",
  ")",
  "*",
  "+",
  "?",
  "{2}",
  "{1,3}",
  "|",
  "^",
  "$",
];
const pattern = fc
  .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(""));
const input = fc
  .array(fc.constantFrom(...LETTERS, " ", "\n"), { maxLength: 8 })
  .map((parts) => parts.join(""));

describe("re2js as the CLI bundle carries it", () => {
  const patched = loadPatched();

  test("answers as re2js does, for generated patterns with and without case folding", () => {
    fc.assert(
      fc.property(
        pattern,
        fc.constantFrom(0, original.CASE_INSENSITIVE),
        fc.array(input, { minLength: 1, maxLength: 4 }),
        (source, flags, inputs) => {
          expect(answers(patched, source, flags, inputs)).toEqual(answers(original, source, flags, inputs));
        },
      ),
      { numRuns: 1500 },
    );
  });

  test("still folds case where a pattern asks for it", () => {
    for (const engine of [original, patched]) {
      expect(engine.compile("(?i)k").matches("\u212a")).toBe(true);
      expect(engine.compile("k", original.CASE_INSENSITIVE).matches("K")).toBe(true);
      expect(engine.compile("k").matches("K")).toBe(false);
      expect(engine.compile("[0-9]+\\.[0-9]+").matches("1.2")).toBe(true);
    }
  });

  test("the patch refuses a source it was not written for", () => {
    const source = readFileSync(re2jsFile, "utf8");
    const line =
      "if (runes.length !== 1 || Unicode.simpleFold(runes[0]) === runes[0]) flags &= ~RE2Flags.FOLD_CASE;";
    expect(() => patchRe2js(source.replace(line, "/* rewritten */"))).toThrow(/re2js changed/);
    expect(() => patchRe2js(`${source}\n${line}`)).toThrow(/re2js changed/);
    expect(() => patchRe2js(source.replace("flags &= RE2Flags.FOLD_CASE;", ""))).toThrow(/re2js changed/);
  });
});

describe("the CLI bundle", () => {
  beforeAll(ensureBuilt, 300_000);

  test("holds the patched line, and not the original one", () => {
    const bundle = join(repo, "dist/cli-bundle");
    const files = readdirSync(bundle).filter((name) => name.endsWith(".cjs"));
    const texts = files.map((name) => readFileSync(join(bundle, name), "utf8"));
    const holders = texts.filter((text) => text.includes("Unicode.simpleFold(runes[0])===runes[0]"));
    expect(holders.length).toBeGreaterThan(0);
    for (const text of holders)
      expect(text).toContain("flags===0||runes.length!==1||Unicode.simpleFold(runes[0])");
  });
});
