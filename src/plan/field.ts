import type { SourceLocation } from "../errors.js";
import type { RecipePath } from "../recipe/source.js";

/**
 * A part of the recipe the compiler is working on: `label` names it in messages (`layers.app.steps[0].env.X`),
 * `path` finds it in the written recipe (`["layers", 0, "steps", 0, "env", "X"]`) so an error can carry its
 * `file:line:col`.
 */
export interface Field {
  readonly label: string;
  readonly path: RecipePath;
  /** Point at the key that introduces the part rather than its value (a declaration, say). */
  readonly key?: boolean;
}

/** Finds where a part of the recipe is written; `undefined` for a recipe without positions. */
export type Locate = (path: RecipePath, options: { key?: boolean }) => SourceLocation | undefined;

// The compiler makes a field for every value it reads but needs a label or path only for an error, so a field
// under another keeps its parent and segment and spells both out when asked.
class ChildField implements Field {
  readonly #parent: Field;
  readonly #segment: string | number;
  readonly #labelled: boolean;

  constructor(parent: Field, segment: string | number, labelled: boolean) {
    this.#parent = parent;
    this.#segment = segment;
    this.#labelled = labelled;
  }

  get label(): string {
    const parent = this.#parent.label;
    if (!this.#labelled) return parent;
    return typeof this.#segment === "number" ? `${parent}[${this.#segment}]` : `${parent}.${this.#segment}`;
  }

  get path(): RecipePath {
    return [...this.#parent.path, this.#segment];
  }
}

/** The field under `parent` at `key`: `.key` for a name, `[key]` for an index. */
export function child(parent: Field, key: string | number): Field {
  return new ChildField(parent, key, true);
}

/**
 * The field under `parent` at `key` in the written recipe that keeps the parent's label: the `copy:` of
 * `steps[0].copy.from` is a level of the YAML that messages leave out (they say `steps[0].from`).
 */
export function within(parent: Field, key: string): Field {
  return new ChildField(parent, key, false);
}

/** `field`, pointing at the key that introduces it rather than at its value. */
export function keyOf(field: Field): Field {
  return { label: field.label, path: field.path, key: true };
}

/** A top-level field of the recipe. */
export function topField(key: string): Field {
  return { label: key, path: [key] };
}
