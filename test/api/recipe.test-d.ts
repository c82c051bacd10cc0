import { describe, expectTypeOf, it } from "vitest";
import {
  type BuildPlan,
  type Diagnostic,
  loadRecipe,
  type Recipe,
  type RecipeResult,
  type WrittenRecipe,
} from "../../src/index.js";
import { validateRecipe } from "../../src/recipe/index.js";

describe("the loader's public types", () => {
  it("loadRecipe reads a file and resolves to a result with errors and warnings kept apart", () => {
    expectTypeOf(loadRecipe).parameter(0).toBeString();
    expectTypeOf(loadRecipe).returns.resolves.toEqualTypeOf<RecipeResult>();
    expectTypeOf<RecipeResult["recipe"]>().toEqualTypeOf<Recipe | undefined>();
    expectTypeOf<RecipeResult["errors"]>().toEqualTypeOf<Diagnostic[]>();
    expectTypeOf<RecipeResult["warnings"]>().toEqualTypeOf<Diagnostic[]>();
  });

  it("validateRecipe checks text or a written recipe synchronously", () => {
    expectTypeOf(validateRecipe).parameter(0).toEqualTypeOf<string | WrittenRecipe>();
    expectTypeOf(validateRecipe).returns.toEqualTypeOf<RecipeResult>();
  });

  it("a diagnostic's location is optional and 1-based line/col with a file", () => {
    expectTypeOf<NonNullable<Diagnostic["location"]>>().toEqualTypeOf<{
      file: string;
      line: number;
      col: number;
    }>();
  });

  it("a diagnostic has a severity, and may have a JSON pointer and an end position", () => {
    expectTypeOf<Diagnostic["severity"]>().toEqualTypeOf<"error" | "warning">();
    expectTypeOf<Diagnostic["path"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<NonNullable<Diagnostic["end"]>>().toEqualTypeOf<{ line: number; col: number }>();
  });

  it("a loaded recipe's name becomes the plan's lineage", () => {
    expectTypeOf<Recipe["name"]>().toEqualTypeOf<BuildPlan["lineage"]>();
  });
});
