// The bytes the loader read a recipe from, kept on the recipe as its locator is (src/recipe/locations.ts: under a
// symbol, as a non-enumerable property, so a copy of the recipe has none). The plan's recipe digest is taken from
// them: the digest of the very bytes that were validated, rather than of a second read of the file, which costs a
// second trip through the thread pool and may find the file changed in between.
const BYTES = Symbol("bake.recipeBytes");

/** Remembers the bytes `recipe` was read and validated from. */
export function rememberSourceBytes(recipe: object, bytes: Uint8Array): void {
  Object.defineProperty(recipe, BYTES, { value: bytes, configurable: true });
}

/** The bytes `recipe` was read from, when the loader read it from a file (a copy, or a recipe built in code, has none). */
export function sourceBytes(recipe: object): Uint8Array | undefined {
  return Object.hasOwn(recipe, BYTES) ? (recipe as { [BYTES]?: Uint8Array })[BYTES] : undefined;
}
