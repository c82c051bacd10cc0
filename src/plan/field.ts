import type { SourceLocation } from "../errors.js";
import type { RecipePath } from "../recipe/source.js";

/**
 * A part of the recipe the compiler is working on: `label` names it in messages (`layers.app.steps[0].env.X`),
 * `path` finds it in the written recipe (`["layers", 0, "steps", 0, "env", "X"]`) so an error can carry its
 * `file:line:col`.
 */
export interface Field {
  label: string;
  path: RecipePath;
  /** Point at the key that introduces the part rather than its value (a declaration, say). */
  key?: boolean;
}

/** Finds where a part of the recipe is written; `undefined` for a recipe without positions. */
export type Locate = (path: RecipePath, options: { key?: boolean }) => SourceLocation | undefined;

/** The field under `parent` at `key`: `.key` for a name, `[key]` for an index. */
export function child(parent: Field, key: string | number): Field {
  return {
    label: typeof key === "number" ? `${parent.label}[${key}]` : `${parent.label}.${key}`,
    path: [...parent.path, key],
  };
}

/** A top-level field of the recipe. */
export function topField(key: string): Field {
  return { label: key, path: [key] };
}
