import { describe, expectTypeOf, it } from "vitest";
import {
  type BuildPlan,
  type Diagnostic,
  loadRecipe,
  type Recipe,
  type RecipeResult,
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

  it("validateRecipe checks text synchronously", () => {
    expectTypeOf(validateRecipe).parameter(0).toBeString();
    expectTypeOf(validateRecipe).returns.toEqualTypeOf<RecipeResult>();
  });

  it("a diagnostic's location is optional and 1-based line/col with a file", () => {
    expectTypeOf<NonNullable<Diagnostic["location"]>>().toEqualTypeOf<{
      file: string;
      line: number;
      col: number;
    }>();
  });

  it("a loaded recipe's name becomes the plan's lineage", () => {
    expectTypeOf<Recipe["name"]>().toEqualTypeOf<BuildPlan["lineage"]>();
  });
});
