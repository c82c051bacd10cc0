import type * as Yaml from "./yaml.js";

// The `yaml` library is most of what a cold `bake validate` would compile, and the fast front end (./fast-yaml/)
// reads a well-written recipe without it. Code that needs yaml's nodes asks through yaml() here. The synchronous
// validateRecipe (./validate-recipe.ts) provides the module up front; the async loaders start without it and, when
// a recipe needs it (an error, or text outside the fast subset), load it and check the recipe again.
let loaded: typeof Yaml | undefined;

/** Thrown by {@link yaml} before the module is loaded; the async loaders catch it, load yaml and check again. */
export class YamlNotLoaded extends Error {
  constructor() {
    super("internal: the yaml parser is needed but was not loaded");
    this.name = "YamlNotLoaded";
  }
}

/** The `yaml` module, once provided or loaded; throws {@link YamlNotLoaded} before. */
export function yaml(): typeof Yaml {
  if (loaded === undefined) throw new YamlNotLoaded();
  return loaded;
}

/** Makes `module` the answer of {@link yaml} (for callers that imported it statically). */
export function provideYaml(module: typeof Yaml): void {
  loaded ??= module;
}

/** Loads the `yaml` module, if no one has yet. */
export async function loadYaml(): Promise<void> {
  loaded ??= await import("./yaml.js");
}

/**
 * Runs `check` (which reads yaml's nodes only through {@link yaml}); when it needs yaml before it is loaded, loads
 * it and runs `check` again from the start. `check` must be free of outside effects but reads, so the second run
 * answers exactly as a first run with yaml loaded would.
 */
export async function withYaml<T>(check: () => T): Promise<T> {
  if (loaded !== undefined) return check();
  try {
    return check();
  } catch (error) {
    if (!(error instanceof YamlNotLoaded)) throw error;
    await loadYaml();
    return check();
  }
}
