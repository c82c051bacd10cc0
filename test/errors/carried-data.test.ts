import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isBakeError } from "../../src/errors.js";
import { RecipeInvalidError } from "../../src/recipe/invalid-error.js";
import { loadRecipeOrThrow } from "../../src/recipe/load.js";
import { resolveVars, VarInvalidError } from "../../src/recipe/vars.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-carried-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RECIPE = `apiVersion: bake/v1
name: web
from: scratch
vars:
  port:
    type: number
  region:
    enum: [eu, us]
layers:
  - name: app
    steps:
      - run: [/bin/true]
`;

describe("errors carry their findings as data", () => {
  it("gives recipe-invalid its diagnostics as an array", async () => {
    await writeFile(path.join(dir, "recipe.yaml"), "apiVersion: bake/v1\nname: Web\nfrom: scratch\n");
    const error = await loadRecipeOrThrow("recipe.yaml", { cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipeInvalidError);
    expect(isBakeError(error)).toBe(true);
    const { code, diagnostics } = error as RecipeInvalidError;
    expect(code).toBe("recipe-invalid");
    expect(Array.isArray(diagnostics)).toBe(true);
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["missing-key", ""],
      ["bad-format", "/name"],
    ]);
  });

  it("gives var-invalid its problems as an array, one per variable", async () => {
    await writeFile(path.join(dir, "recipe.yaml"), RECIPE);
    const { recipe } = await loadRecipeOrThrow("recipe.yaml", { cwd: dir });
    const error = await resolveVars(recipe, {
      cliVars: ["port=eighty", "region=mars"],
      varFiles: [],
      env: {},
      cwd: dir,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VarInvalidError);
    const { code, problems } = error as VarInvalidError;
    expect(code).toBe("var-invalid");
    expect(problems.map((p) => p.name)).toEqual(["port", "region"]);
    expect(problems.every((p) => typeof p.message === "string" && !p.missing)).toBe(true);
  });
});
