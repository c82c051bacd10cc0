import { describe, expect, test } from "vitest";
import { recipeLocation } from "../../src/recipe/locations.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const recipeText = (name: string, padding: string) => `apiVersion: bake/v1
name: ${name}
from: scratch
${padding}layers:
  - name: app
    steps:
      - run: echo hi
`;

function load(text: string, file: string) {
  const { recipe, errors } = validateRecipe(text, { file, checkFiles: false });
  expect(errors).toEqual([]);
  if (recipe === undefined) throw new Error("no recipe");
  return recipe;
}

describe("where a loaded recipe's parts are written", () => {
  test("each recipe answers with its own file and lines, however many were loaded before it", () => {
    const first = load(recipeText("one", ""), "/work/one/recipe.yaml");
    const second = load(
      recipeText("two", "description: moved down two lines\nversion: '1'\n"),
      "/work/two/recipe.yaml",
    );
    expect(recipeLocation(first, ["layers", 0, "name"])).toEqual({
      file: "/work/one/recipe.yaml",
      line: 5,
      col: 11,
    });
    expect(recipeLocation(second, ["layers", 0, "name"])).toEqual({
      file: "/work/two/recipe.yaml",
      line: 7,
      col: 11,
    });
    // Loading the same text again gives a new recipe with the same answer, never the first one's.
    const again = load(recipeText("one", "\n\n\n"), "/work/again/recipe.yaml");
    expect(recipeLocation(again, ["layers", 0, "name"])).toEqual({
      file: "/work/again/recipe.yaml",
      line: 8,
      col: 11,
    });
    expect(recipeLocation(first, ["layers", 0, "name"])?.file).toBe("/work/one/recipe.yaml");
  });

  test("stay off the recipe's data: JSON, keys, copies and clones carry no positions", () => {
    const recipe = load(recipeText("plain", ""), "/work/plain/recipe.yaml");
    expect(Reflect.ownKeys(recipe).filter((key) => typeof key === "symbol")).toHaveLength(1);
    expect(
      Object.getOwnPropertyDescriptor(
        recipe,
        Reflect.ownKeys(recipe).find((key) => typeof key === "symbol") as symbol,
      )?.enumerable,
    ).toBe(false);
    expect(JSON.stringify(recipe)).toBe(JSON.stringify({ ...recipe }));
    expect(recipe).toStrictEqual({ ...recipe });
    expect(recipeLocation({ ...recipe }, ["name"])).toBeUndefined();
    expect(recipeLocation(structuredClone(recipe), ["name"])).toBeUndefined();
    expect(recipeLocation(JSON.parse(JSON.stringify(recipe)), ["name"])).toBeUndefined();
    expect(recipeLocation(Object.create(recipe), ["name"])).toBeUndefined();
    expect(recipeLocation(recipe, ["name"])).toEqual({ file: "/work/plain/recipe.yaml", line: 2, col: 7 });
  });
});
