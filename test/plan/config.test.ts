// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BakeError } from "../../src/errors.js";
import { compile } from "../../src/plan/compile.js";
import { gatherInputs } from "../../src/plan/inputs.js";
import { layerInputsDigest } from "../../src/plan/layer-digest.js";
import type { BuildPlan } from "../../src/plan/types.js";
import type { Recipe } from "../../src/recipe/types.js";
import { makeRecipe, SECRET_NAMES, VARS } from "./make-recipe.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bake-config-"));
  await writeFile(path.join(root, "recipe.yaml"), "name: web\n");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

// The recipe of make-recipe.ts without its copy step, so no files are needed.
function recipe(config?: Recipe["config"]): Recipe {
  const base = makeRecipe(root);
  const layers = base.layers.map((layer) => ({
    ...layer,
    steps: layer.steps.filter((step) => step.kind !== "copy"),
  }));
  return { ...base, layers, ...(config === undefined ? {} : { config }) };
}

async function plan(from: Recipe): Promise<BuildPlan> {
  return compile(from, { vars: { ...VARS }, secretNames: SECRET_NAMES, inputs: await gatherInputs(from) });
}

describe("config in the plan", () => {
  it("carries the image config, with variables interpolated", async () => {
    const compiled = await plan(
      recipe({ cmd: ["server", "--port", "${vars.port}"], env: { APP_VERSION: "${vars.app_version}" } }),
    );
    expect(compiled.config).toEqual({ cmd: ["server", "--port", "8080"], env: { APP_VERSION: "2.4.0" } });
  });

  it("leaves the plan and every digest as before when the recipe sets no config", async () => {
    const compiled = await plan(recipe());
    expect("config" in compiled).toBe(false);
    for (const layer of compiled.layers) expect(layer.inputsDigest).toBe(layerInputsDigest(layer.steps));
  });

  it("makes a config-only change a new last layer, and leaves the layers below it cached", async () => {
    const one = await plan(recipe({ cmd: ["server"] }));
    const two = await plan(recipe({ cmd: ["server", "--verbose"] }));
    expect(two.layers[0]?.inputsDigest).toBe(one.layers[0]?.inputsDigest);
    expect(two.layers[1]?.inputsDigest).not.toBe(one.layers[1]?.inputsDigest);
  });

  it("refuses a secret in the config, which images record in plain text", async () => {
    const error = await plan(recipe({ env: { TOKEN: "${vars.api_token}" } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BakeError);
    expect((error as BakeError).message).toMatch(/config\.env\.TOKEN/);
  });
});
