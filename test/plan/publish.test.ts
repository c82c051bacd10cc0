// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compile } from "../../src/plan/compile.js";
import { gatherInputs } from "../../src/plan/inputs.js";
import type { BuildPlan } from "../../src/plan/types.js";
import type { Recipe } from "../../src/recipe/types.js";
import { makeRecipe, SECRET_NAMES, VARS } from "./make-recipe.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bake-publish-"));
  await writeFile(path.join(root, "recipe.yaml"), "name: web\n");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function plan(publish: Recipe["publish"]): Promise<BuildPlan> {
  const base = makeRecipe(root);
  const layers = base.layers.map((layer) => ({
    ...layer,
    steps: layer.steps.filter((step) => step.kind !== "copy"),
  }));
  const recipe: Recipe = { ...base, layers, ...(publish ? { publish } : {}) };
  return compile(recipe, {
    vars: { ...VARS },
    secretNames: SECRET_NAMES,
    inputs: await gatherInputs(recipe),
  });
}

describe("publish in the plan", () => {
  it("fills plain variables into destinations and keeps the password a secret template", async () => {
    const compiled = await plan([
      { to: "docker://registry.example.com:5000/team/web:${vars.app_version}" },
      { to: "docker://127.0.0.1:5000/web:latest", username: "ci", password: "${vars.api_token}" },
    ]);
    expect(compiled.publish).toEqual([
      { to: "docker://registry.example.com:5000/team/web:2.4.0" },
      {
        to: "docker://127.0.0.1:5000/web:latest",
        credentials: { username: "ci", password: { secret: "${vars.api_token}" } },
      },
    ]);
    expect(compiled.secrets).toContain("api_token");
    expect(JSON.stringify(compiled)).not.toContain("hunter");
  });

  it("leaves the plan as it was when the recipe publishes nothing", async () => {
    expect(await plan(undefined)).not.toHaveProperty("publish");
    expect(await plan([])).not.toHaveProperty("publish");
  });

  it("refuses a destination without a tag, with a digest, or not in a registry", async () => {
    for (const to of [
      "docker://registry.example.com/web",
      "docker://r.example.com/web@sha256:abc",
      "dir:./out",
    ]) {
      await expect(plan([{ to }])).rejects.toMatchObject({ code: "publish-invalid" });
    }
  });

  it("refuses a secret in a destination and a password that is not a secret", async () => {
    await expect(plan([{ to: "docker://r.example.com/web:${vars.api_token}" }])).rejects.toMatchObject({
      code: "secret-misplaced",
    });
    await expect(
      plan([{ to: "docker://r.example.com/web:1", username: "ci", password: "${vars.app_version}" }]),
    ).rejects.toMatchObject({ code: "publish-password-not-secret" });
  });
});
