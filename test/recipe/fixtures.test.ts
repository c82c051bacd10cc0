import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadRecipe } from "../../src/recipe/load.js";

const root = join(import.meta.dirname, "../fixtures/recipes");
const cases = readdirSync(root).filter((name) => name !== "valid");

interface Expected {
  code: string;
  message: string;
  line: number;
  col: number;
  /** A part of the hint. */
  hint?: string;
}

describe("invalid recipe fixtures", () => {
  test.each(cases)("reports the expected first error for %s", async (name) => {
    const expected = JSON.parse(readFileSync(join(root, name, "expected.json"), "utf8")) as Expected;
    const file = join(root, name, "recipe.yaml");
    const result = await loadRecipe(file);
    expect(result.recipe).toBeUndefined();
    const [first] = result.errors;
    expect(first).toBeDefined();
    expect({ code: first?.code, message: first?.message }).toEqual({
      code: expected.code,
      message: expected.message,
    });
    expect(first?.location).toEqual({ file, line: expected.line, col: expected.col });
    if (expected.hint !== undefined) expect(first?.hint).toContain(expected.hint);
    // The excerpt shows the offending line, with the caret under the reported column.
    const lines = readFileSync(file, "utf8").split("\n");
    const [source, caret] = (first?.excerpt ?? "").split("\n");
    expect(source).toContain(lines[expected.line - 1]?.trim() ?? "");
    expect(caret?.indexOf("^")).toBe((source?.indexOf("| ") ?? 0) + 2 + expected.col - 1);
  });

  test("covers at least fifteen distinct error codes", () => {
    const codes = new Set(
      cases.map(
        (name) => (JSON.parse(readFileSync(join(root, name, "expected.json"), "utf8")) as Expected).code,
      ),
    );
    expect(codes.size).toBeGreaterThanOrEqual(15);
  });

  test("accepts the valid recipe without errors or warnings", async () => {
    const result = await loadRecipe(join(root, "valid", "recipe.yaml"));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.recipe?.layers.map((layer) => layer.name)).toEqual(["runtime", "app"]);
  });
});

describe("typos", () => {
  test("report the unknown key alone, not also the key or step kind it was meant to be", async () => {
    const result = await loadRecipe(join(root, "step-typo", "recipe.yaml"));
    expect(result.errors.map((e) => e.code)).toEqual(["unknown-key"]);
  });
});

describe("a recipe with both structural and semantic errors", () => {
  test("gets every error in one run, in file order", async () => {
    const result = await loadRecipe(join(root, "schema-and-rules", "recipe.yaml"));
    expect(result.errors.map((e) => [e.code, e.location?.line])).toEqual([
      ["parent-invalid", 3],
      ["copy-outside-root", 10],
      ["wrong-type", 12],
      ["duplicate-layer", 13],
      ["script-interpolation", 15],
    ]);
  });
});
