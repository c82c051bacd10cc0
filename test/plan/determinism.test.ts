import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/plan/compile.js";
import type { RecipeInputs } from "../../src/plan/inputs.js";
import type { LayerSpec, Recipe } from "../../src/recipe/types.js";
import { canonicalJson } from "../../src/util/canonical-json.js";

let root: string;
const inputs: RecipeInputs = { copies: {}, recipeDigest: "sha256:00" };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bake-determinism-"));
  await writeFile(path.join(root, "recipe.yaml"), "");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/);
const text = fc.string({ maxLength: 12 }).filter((value) => !value.includes("${"));
const env = fc.dictionary(key, text, { maxKeys: 5 });
const layers = fc.array(
  fc.record({
    script: fc.string({ minLength: 1, maxLength: 20 }).filter((value) => !value.includes("${")),
    env,
    content: text,
  }),
  { minLength: 1, maxLength: 4 },
);

function recipeOf(spec: {
  layers: { script: string; env: Record<string, string>; content: string }[];
}): Recipe {
  const built: LayerSpec[] = spec.layers.map((layer, index) => ({
    name: `layer-${index}`,
    steps: [
      { kind: "run", script: layer.script, env: layer.env },
      { kind: "file", path: `/etc/${index}`, content: layer.content },
    ],
  }));
  return {
    apiVersion: "bake/v1",
    name: "prop",
    version: "1.0.0",
    from: "scratch",
    target: { driver: "local", options: {} },
    vars: {},
    layers: built,
    verify: [],
    labels: {},
    source: { file: path.join(root, "recipe.yaml"), root },
  };
}

// The same recipe with every env map's keys inserted in reverse order.
function reversedEnv(recipe: Recipe): Recipe {
  const copy = structuredClone(recipe);
  for (const layer of copy.layers) {
    for (const step of layer.steps) {
      if (step.kind === "run") step.env = Object.fromEntries(Object.entries(step.env).reverse());
    }
  }
  return copy;
}

describe("compile determinism", () => {
  it("gives the same bytes for equal recipes, whatever the key order of their maps", () => {
    fc.assert(
      fc.property(layers, (spec) => {
        const recipe = recipeOf({ layers: spec });
        const context = { vars: {}, secretNames: [], inputs };
        const first = canonicalJson(compile(recipe, context));
        expect(canonicalJson(compile(structuredClone(recipe), context))).toBe(first);
        expect(canonicalJson(compile(reversedEnv(recipe), context))).toBe(first);
      }),
      { numRuns: 200 },
    );
  });

  it("changes exactly the digest of a layer whose script changes", () => {
    fc.assert(
      fc.property(layers, fc.nat(), (spec, pick) => {
        const index = pick % spec.length;
        const before = compile(recipeOf({ layers: spec }), { vars: {}, secretNames: [], inputs });
        const changed = spec.map((layer, i) =>
          i === index ? { ...layer, script: `${layer.script}!` } : layer,
        );
        const after = compile(recipeOf({ layers: changed }), { vars: {}, secretNames: [], inputs });
        after.layers.forEach((layer, i) => {
          if (i === index) expect(layer.inputsDigest).not.toBe(before.layers[i]?.inputsDigest);
          else expect(layer.inputsDigest).toBe(before.layers[i]?.inputsDigest);
        });
      }),
      { numRuns: 200 },
    );
  });
});
