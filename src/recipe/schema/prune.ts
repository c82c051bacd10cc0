import type { SchemaError } from "./validate.js";

/** What is left of a structurally broken recipe for the semantic rules to look at. */
export interface UsableRecipe {
  /** The recipe with every layer, step and check that has a schema error removed (left as a hole, so indices hold). */
  recipe: Record<string, unknown>;
  /** Top-level keys whose value is broken as a whole: rules that read them are skipped. */
  broken: Set<string>;
}

/**
 * Cut the parts with schema errors out of `value`, in place, so the semantic rules can still run on the rest and
 * report their findings alongside the schema's. Undefined when the recipe is not even a mapping.
 * Called only once the schema's diagnostics are made: it changes `value`.
 */
export function pruneBroken(value: unknown, errors: SchemaError[]): UsableRecipe | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const recipe = value as Record<string, unknown>;
  const broken = new Set<string>();
  for (const error of errors) {
    const path = error.instancePath
      .split("/")
      .slice(1)
      .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
    const [top, second, third, fourth] = path;
    if (top === undefined) {
      // A missing top-level key breaks what reads it; an unknown one breaks nothing.
      if (error.keyword === "required") broken.add(String(error.params.missingProperty));
      else if (error.keyword !== "additionalProperties") return undefined;
      continue;
    }
    const list = recipe[top];
    const index = indexIn(list, second);
    if ((top === "layers" || top === "verify") && index !== undefined) {
      const item = (list as unknown[])[index];
      const steps = top === "layers" && third === "steps" ? (item as { steps?: unknown })?.steps : undefined;
      const step = indexIn(steps, fourth);
      if (step !== undefined) delete (steps as unknown[])[step];
      else delete (list as unknown[])[index];
      continue;
    }
    broken.add(top);
  }
  return { recipe, broken };
}

function indexIn(list: unknown, segment: string | undefined): number | undefined {
  if (!Array.isArray(list) || segment === undefined || !/^\d+$/.test(segment)) return undefined;
  return Number(segment);
}
