// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BakeError } from "../../src/errors.js";
import { type CompileContext, compile } from "../../src/plan/compile.js";
import { gatherInputs } from "../../src/plan/inputs.js";
import { revealEnv, revealPlanString } from "../../src/plan/secrets.js";
import type { BuildPlan, PlannedRunStep } from "../../src/plan/types.js";
import type { Recipe } from "../../src/recipe/types.js";
import { canonicalJson } from "../../src/util/canonical-json.js";
import { makeRecipe, SECRET_NAMES, VARS } from "./make-recipe.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bake-compile-"));
  await mkdir(path.join(root, "dist/lib"), { recursive: true });
  await writeFile(path.join(root, "recipe.yaml"), "name: web\n");
  await writeFile(path.join(root, "dist/install.sh"), "#!/bin/sh\necho installing\n");
  await chmod(path.join(root, "dist/install.sh"), 0o755);
  await writeFile(path.join(root, "dist/lib/app.js"), "console.log('hi')\n");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function plan(recipe: Recipe, extra: Partial<CompileContext> = {}): Promise<BuildPlan> {
  const inputs = await gatherInputs(recipe);
  return compile(recipe, { vars: { ...VARS }, secretNames: SECRET_NAMES, inputs, ...extra });
}

function thrown(action: () => unknown): BakeError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BakeError);
    return error as BakeError;
  }
  throw new Error("expected a BakeError");
}

describe("compile", () => {
  it("gives byte-identical canonical JSON for the same inputs", async () => {
    const recipe = makeRecipe(root);
    const first = canonicalJson(await plan(recipe));
    const second = canonicalJson(await plan(makeRecipe(root)));
    expect(second).toBe(first);
    expect(first).toContain('"inputsDigest":"sha256:');
  });

  it("interpolates variables into plain fields", async () => {
    const result = await plan(makeRecipe(root));
    expect(result.version).toBe("2.4.0");
    expect(result.labels).toEqual({ team: "heroes", version: "2.4.0" });
    const run = result.layers[1]?.steps[1] as PlannedRunStep;
    expect(run.argv).toEqual(["/opt/app/install.sh", "--port", "8080"]);
    expect(run.env.APP_VERSION).toBe("2.4.0");
    expect(result.verify[0]).toMatchObject({ kind: "http", url: "http://127.0.0.1:8080/health" });
    expect(result.layers[1]?.steps[2]).toMatchObject({ kind: "file", content: "2.4.0\n" });
  });

  it("keeps a secret reference as a template and lists only its name", async () => {
    const result = await plan(makeRecipe(root));
    const run = result.layers[1]?.steps[1] as PlannedRunStep;
    expect(run.env.TOKEN).toEqual({ secret: "Bearer ${vars.api_token}" });
    expect(result.secrets).toEqual(["api_token"]);
    expect(result.vars).toEqual({ app_version: "2.4.0", port: 8080 });
  });

  it("fills non-secret parts of a secret template", async () => {
    const recipe = makeRecipe(root, {
      layers: [
        {
          name: "one",
          steps: [{ kind: "file", path: "/etc/cfg", content: "v=${vars.app_version} t=${vars.api_token}" }],
        },
      ],
    });
    const result = await plan(recipe);
    expect(result.layers[0]?.steps[0]).toMatchObject({ content: { secret: "v=2.4.0 t=${vars.api_token}" } });
  });

  it("refuses a secret in a plain field", async () => {
    const recipe = makeRecipe(root, { labels: { token: "${vars.api_token}" } });
    const inputs = await gatherInputs(recipe);
    const error = thrown(() => compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs }));
    expect(error.code).toBe("secret-misplaced");
    expect(error.message).toContain("labels.token");
  });

  it.each([
    [
      "an argv element",
      { layers: [{ name: "one", steps: [{ kind: "run", argv: ["echo", "${vars.api_token}"], env: {} }] }] },
      "run[1]",
    ],
    [
      "a copy destination",
      { layers: [{ name: "one", steps: [{ kind: "copy", from: "dist/", to: "/opt/${vars.api_token}/" }] }] },
      ".to",
    ],
    [
      "a target option",
      { target: { driver: "gce", options: { project: "${vars.api_token}" } } },
      "target.project",
    ],
    [
      "a check url",
      {
        verify: [
          {
            kind: "http",
            name: "h",
            url: "http://x/${vars.api_token}",
            status: 200,
            retries: 0,
            intervalMs: 1,
            timeoutMs: 1,
          },
        ],
      },
      "url",
    ],
  ] as [string, Partial<Recipe>, string][])("refuses a secret in %s", async (_what, overrides, field) => {
    const recipe = makeRecipe(root, overrides);
    const inputs = await gatherInputs(recipe);
    const error = thrown(() => compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs }));
    expect(error.code).toBe("secret-misplaced");
    expect(error.message).toContain(field);
  });

  it("refuses a variable that has no value", async () => {
    const recipe = makeRecipe(root, { version: "${vars.missing}" });
    const inputs = await gatherInputs(recipe);
    const error = thrown(() => compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs }));
    expect(error.code).toBe("unknown-variable");
    expect(error.message).toContain('"missing"');
  });

  it.each([
    ["version", { version: "${ vars.app_version }" }],
    ["a label", { labels: { a: "${vars.app_version }" } }],
    [
      "an env value",
      { layers: [{ name: "one", steps: [{ kind: "run", argv: ["x"], env: { T: "${ vars.api_token }" } }] }] },
    ],
    [
      "file content",
      { layers: [{ name: "one", steps: [{ kind: "file", path: "/x", content: "${vars}" }] }] },
    ],
  ] as [string, Partial<Recipe>][])(
    "refuses a malformed reference in %s instead of passing it through as text",
    async (_what, overrides) => {
      const recipe = makeRecipe(root, overrides);
      const inputs = await gatherInputs(recipe);
      const error = thrown(() => compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs }));
      expect(error.code).toBe("unknown-interpolation");
      expect(error.hint).toMatch(/^write `\$\{vars\.[A-Za-z_]+\}`, with no spaces/);
    },
  );

  it("looks variables up as own properties: __proto__ and toString are names like any other", async () => {
    const recipe = makeRecipe(root, {
      vars: {
        ...makeRecipe(root).vars,
        // A computed key defines the property; a literal `__proto__:` would set the prototype instead.
        ["__proto__"]: { type: "string" as const, secret: false },
        toString: { type: "string" as const, secret: false },
      },
      labels: { a: "${vars.__proto__}", b: "${vars.toString}" },
    });
    const inputs = await gatherInputs(recipe);
    const vars = Object.fromEntries([...Object.entries(VARS), ["__proto__", "p"], ["toString", "t"]]);
    const result = compile(recipe, { vars, secretNames: SECRET_NAMES, inputs });
    expect(result.labels).toEqual({ a: "p", b: "t" });
    expect(Object.getOwnPropertyDescriptor(result.vars, "__proto__")?.value).toBe("p");
    // Without a value, toString is unknown: never Object.prototype's function.
    const withoutToString = Object.fromEntries([...Object.entries(VARS), ["__proto__", "p"]]);
    const error = thrown(() => compile(recipe, { vars: withoutToString, secretNames: SECRET_NAMES, inputs }));
    expect(error.code).toBe("unknown-variable");
    expect(error.message).toContain('"toString"');
  });

  it("reveals a secret named __proto__ or constructor from its own value", () => {
    const secrets = Object.fromEntries([
      ["__proto__", "p"],
      ["constructor", "c"],
    ]);
    expect(revealPlanString({ secret: "${vars.__proto__}:${vars.constructor}" }, secrets)).toBe("p:c");
    const env = revealEnv(Object.fromEntries([["__proto__", { secret: "${vars.__proto__}" }]]), secrets);
    expect(Object.getOwnPropertyDescriptor(env, "__proto__")?.value).toBe("p");
    expect(() => revealPlanString({ secret: "${vars.toString}" }, {})).toThrow(/has no value/);
  });

  it("refuses interpolation inside a shell script", async () => {
    const recipe = makeRecipe(root, {
      layers: [{ name: "one", steps: [{ kind: "run", script: "echo ${vars.app_version}", env: {} }] }],
    });
    const inputs = await gatherInputs(recipe);
    const error = thrown(() => compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs }));
    expect(error.code).toBe("script-interpolation");
    expect(error.hint).toContain("use $X");
  });

  it("gives each step a short one-line title", async () => {
    const result = await plan(makeRecipe(root));
    const titles = result.layers.flatMap((layer) => layer.steps.map((step) => step.title));
    expect(titles).toEqual([
      "run apk add nodejs …",
      "copy dist/ -> /opt/app/",
      "run /opt/app/install.sh --port 8080",
      "file /etc/app/version",
    ]);
    for (const title of titles) expect(title).not.toContain("\n");
  });

  it("records every copied entry with its mode and digest", async () => {
    const result = await plan(makeRecipe(root));
    const copy = result.layers[1]?.steps[0];
    expect(copy).toMatchObject({ kind: "copy", from: "dist", to: "/opt/app/", mode: 0o755 });
    expect(copy?.kind === "copy" ? copy.entries.map((entry) => [entry.path, entry.type]) : []).toEqual([
      ["install.sh", "file"],
      ["lib", "dir"],
      ["lib/app.js", "file"],
    ]);
  });

  it("changes only the copying layer's digest when a copied file changes", async () => {
    const before = await plan(makeRecipe(root));
    await writeFile(path.join(root, "dist/lib/app.js"), "console.log('changed')\n");
    const after = await plan(makeRecipe(root));
    expect(after.layers[0]?.inputsDigest).toBe(before.layers[0]?.inputsDigest);
    expect(after.layers[1]?.inputsDigest).not.toBe(before.layers[1]?.inputsDigest);
  });

  it("changes only the copying layer's digest when a copied file's mode changes", async () => {
    const before = await plan(makeRecipe(root));
    await chmod(path.join(root, "dist/lib/app.js"), 0o600);
    const after = await plan(makeRecipe(root));
    expect(after.layers[0]?.inputsDigest).toBe(before.layers[0]?.inputsDigest);
    expect(after.layers[1]?.inputsDigest).not.toBe(before.layers[1]?.inputsDigest);
  });

  it("changes a layer's digest when a variable it uses changes, and leaves other layers alone", async () => {
    const recipe = makeRecipe(root);
    const inputs = await gatherInputs(recipe);
    const before = compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs });
    const after = compile(recipe, { vars: { ...VARS, port: 9090 }, secretNames: SECRET_NAMES, inputs });
    expect(after.layers[0]?.inputsDigest).toBe(before.layers[0]?.inputsDigest);
    expect(after.layers[1]?.inputsDigest).not.toBe(before.layers[1]?.inputsDigest);
  });

  it("does not let a step title or layer name change the digest", async () => {
    const before = await plan(makeRecipe(root));
    const renamed = makeRecipe(root);
    (renamed.layers[0] as { name: string }).name = "toolchain";
    const after = await plan(renamed);
    expect(after.layers[0]?.inputsDigest).toBe(before.layers[0]?.inputsDigest);
  });

  it("replaces the target driver and drops options of another driver", async () => {
    const recipe = makeRecipe(root, {
      target: { driver: "gce", options: { project: "p-${vars.app_version}" } },
    });
    const kept = await plan(recipe);
    expect(kept.target).toEqual({ driver: "gce", options: { project: "p-2.4.0" } });
    const same = await plan(recipe, { target: "gce" });
    expect(same.target).toEqual(kept.target);
    const other = await plan(recipe, { target: "local" });
    expect(other.target).toEqual({ driver: "local", options: {} });
  });

  it("refuses an unknown target driver with a suggestion", async () => {
    const recipe = makeRecipe(root);
    const inputs = await gatherInputs(recipe);
    const error = thrown(() =>
      compile(recipe, { vars: VARS, secretNames: SECRET_NAMES, inputs, target: "locl" }),
    );
    expect(error.code).toBe("unknown-driver");
    expect(error.hint).toContain('did you mean "local"');
  });

  it("refuses a copy whose inputs were not gathered", () => {
    const recipe = makeRecipe(root);
    const error = thrown(() =>
      compile(recipe, {
        vars: VARS,
        secretNames: SECRET_NAMES,
        inputs: { copies: {}, recipeDigest: "sha256:0" },
      }),
    );
    expect(error.code).toBe("copy-inputs-missing");
  });

  it("does not mutate the recipe", async () => {
    const recipe = makeRecipe(root);
    const snapshot = JSON.stringify(recipe);
    await plan(recipe);
    expect(JSON.stringify(recipe)).toBe(snapshot);
  });
});
