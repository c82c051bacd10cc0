import { createRequire } from "node:module";
import type { RE2JS } from "re2js";

// Patterns come from recipes, values from the command line: a backtracking engine would let `(a+)+` and a
// 40-character value hang bake for minutes with signals unanswered. RE2 matches in time linear in the value.
const cache = new Map<string, RE2JS>();
let engine: typeof RE2JS | undefined;

// Loaded on first use (synchronously, as the rules are): most recipes have no pattern, and loading the engine
// costs a cold `bake validate` some 30 ms. In the CLI bundle, esbuild resolves the plain require at build time, so
// the engine travels in the bundle and Node's package resolution is skipped; the library (tsc's ES modules, where
// there is no require) asks Node.
function re2(): typeof RE2JS {
  engine ??= (
    (typeof require === "function"
      ? require("re2js")
      : createRequire(import.meta.url)("re2js")) as typeof import("re2js")
  ).RE2JS;
  return engine;
}

function compiled(pattern: string): RE2JS {
  let regex = cache.get(pattern);
  if (regex === undefined) {
    regex = re2().compile(pattern);
    cache.set(pattern, regex);
  }
  return regex;
}

/**
 * Whether `value` matches `pattern` in full, with RE2 semantics (linear time: no lookaround, no backreferences).
 * Throws on a pattern RE2 cannot compile; {@link patternProblem} says why first.
 */
export function fullMatch(pattern: string, value: string): boolean {
  return compiled(pattern).matches(value);
}

/** Why RE2 refuses `pattern` (one line), or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compiled(pattern);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return (message.split("\n")[0] ?? message).replace(/^error parsing regexp: /, "");
  }
}

/** Why a variable value with a NUL character is refused: no environment variable, argument or path can hold one. */
export const NUL_REASON =
  "contains a NUL character (\\0), which no environment variable, argument or path can hold";
/** How to do without the NUL. */
export const NUL_HINT = "remove the NUL; put binary data in a file next to the recipe and `copy` it";
