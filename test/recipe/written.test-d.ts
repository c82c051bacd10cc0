import { expectTypeOf, test } from "vitest";
import type { WrittenRecipe } from "../../src/recipe/written.js";
import { tables } from "./written-keys.js";

// Compiling written-keys.ts is the check: each table must list exactly its type's keys, required ones as true.
test("the key tables cover every key of the written types", () => {
  expectTypeOf(tables.recipe).toHaveProperty("layers");
  expectTypeOf<keyof typeof tables.recipe>().toEqualTypeOf<keyof WrittenRecipe>();
});
