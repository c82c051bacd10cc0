// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BakeError } from "../../src/errors.js";
import { compile } from "../../src/plan/compile.js";
import { gatherInputs } from "../../src/plan/inputs.js";
import { rootPlan } from "../../src/plan/paths.js";
import { planRecipe } from "../../src/plan/plan-recipe.js";
import { loadRecipeOrThrow } from "../../src/recipe/load.js";
import { canonicalJson } from "../../src/util/canonical-json.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/plan-web", import.meta.url));
const SECRET = "hunter2-very-secret";
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-compile-tools-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function checkout(name: string): Promise<string> {
  const root = path.join(dir, name);
  await cp(FIXTURE, root, { recursive: true });
  return root;
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

describe("compile takes secrets from the recipe", () => {
  it("refuses a secret's value passed in vars with secretNames: [], and never puts it in a plan", async () => {
    const { recipe } = await loadRecipeOrThrow(path.join(await checkout("a"), "recipe.yaml"));
    const inputs = await gatherInputs(recipe);
    const error = thrown(() =>
      compile(recipe, { vars: { app_version: "2.4.0", api_token: SECRET }, secretNames: [], inputs }),
    );
    expect(error.code).toBe("secret-in-vars");
    expect(error.message).toContain("api_token");
    expect(`${error.message} ${error.hint}`).not.toContain(SECRET);
    // It points at the declaration of the secret in the recipe.
    expect(error.location).toMatchObject({ line: 13, col: 3 });
  });

  it("treats a variable the recipe declares secret as secret without secretNames", async () => {
    const { recipe } = await loadRecipeOrThrow(path.join(await checkout("a"), "recipe.yaml"));
    const plan = compile(recipe, { vars: { app_version: "2.4.0" }, inputs: await gatherInputs(recipe) });
    expect(plan.secrets).toEqual(["api_token"]);
    expect(plan.vars).toEqual({ app_version: "2.4.0" });
    expect(canonicalJson(plan)).toContain("Bearer ${vars.api_token}");
  });

  it("keeps extra secretNames as a union with the recipe's own", async () => {
    const { recipe } = await loadRecipeOrThrow(path.join(await checkout("a"), "recipe.yaml"));
    const error = thrown(() =>
      compile(recipe, {
        vars: { app_version: "2.4.0" },
        secretNames: ["app_version"],
        inputs: { copies: { "dist/": [] }, recipeDigest: "sha256:0" },
      }),
    );
    expect(error.code).toBe("secret-in-vars");
  });
});

describe("compile errors carry the recipe's location", () => {
  it("points a bad interpolated `from` at the from: line", async () => {
    const root = await checkout("a");
    const file = path.join(root, "recipe.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("from: base@stable", 'from: "${vars.app_version}"'));
    const { recipe } = await loadRecipeOrThrow(file);
    const error = thrown(() =>
      compile(recipe, {
        vars: { app_version: "oops:thing" },
        inputs: { copies: { "dist/": [] }, recipeDigest: "x" },
      }),
    );
    expect(error.code).toBe("parent-invalid");
    expect(error.location).toEqual({ file, line: 6, col: 7 });
  });

  it("points a variable without a value at the field that uses it", async () => {
    const file = path.join(await checkout("a"), "recipe.yaml");
    const { recipe } = await loadRecipeOrThrow(file);
    const error = thrown(() => compile(recipe, { vars: {}, inputs: noInputs() }));
    expect(error.code).toBe("unknown-variable");
    expect(error.message).toContain("layers.app.steps[1].env.APP_VERSION refers to");
    expect(error.location).toEqual({ file, line: 29, col: 24 });
  });

  it("points a copy source that went missing after validation at its from:", async () => {
    const root = await checkout("a");
    const file = path.join(root, "recipe.yaml");
    const { recipe } = await loadRecipeOrThrow(file);
    await rm(path.join(root, "dist"), { recursive: true });
    const error = await gatherInputs(recipe).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "copy-missing", location: { file, line: 25, col: 17 } });
  });

  it("refuses a user or config user filled in from a variable beyond 32 bits, at the field", async () => {
    const file = path.join(dir, "recipe.yaml");
    const inputs = { copies: {}, recipeDigest: "sha256:0" };
    const head = ["apiVersion: bake/v1", "name: ids", "from: scratch", "vars:", "  u: { type: string }"];
    const planWith = async (lines: string[], u: string) => {
      await writeFile(file, [...head, ...lines, ""].join("\n"));
      const { recipe } = await loadRecipeOrThrow(file);
      return () => compile(recipe, { vars: { u }, inputs });
    };
    const step = [
      "layers:",
      "  - name: app",
      "    steps:",
      "      - run: id -u",
      '        user: "${vars.u}"',
    ];
    const error = thrown(await planWith(step, "4294967296"));
    expect(error).toMatchObject({ code: "out-of-range", location: { file, line: 10, col: 15 } });
    expect(error.message).toBe(
      'uid 4294967296 in user "4294967296" is out of range: a uid is a whole number from 0 to 4294967294',
    );
    const check = [...step.slice(0, 4), "verify:", "  - run: id -u", '    user: "app:${vars.u}"'];
    expect(thrown(await planWith(check, "4294967295"))).toMatchObject({
      message: expect.stringContaining('gid 4294967295 in user "app:4294967295"'),
      location: { file, line: 12, col: 11 },
    });
    const config = [...step.slice(0, 4), 'config: { user: "${vars.u}" }'];
    expect(thrown(await planWith(config, "99999999999")).location).toEqual({ file, line: 10, col: 17 });
    expect((await planWith(step, "4294967294"))().layers[0]?.steps[0]).toMatchObject({ user: "4294967294" });
  });

  it("has no location for a recipe built in code", async () => {
    const file = path.join(await checkout("a"), "recipe.yaml");
    const { recipe } = await loadRecipeOrThrow(file);
    const copy = structuredClone(recipe);
    const error = thrown(() => compile(copy, { vars: {}, inputs: noInputs() }));
    expect(error.code).toBe("unknown-variable");
    expect(error.location).toBeUndefined();
  });
});

function noInputs() {
  return { copies: { "dist/": [] }, recipeDigest: "sha256:0" };
}

describe("plans do not depend on where the checkout is", () => {
  it("gives identical plan bytes for the same recipe in two directories", async () => {
    const env = { BAKE_VAR_api_token: SECRET };
    const one = await planRecipe("recipe.yaml", { cwd: await checkout("one"), env });
    const two = await planRecipe("recipe.yaml", { cwd: await checkout("deeper/two"), env });
    expect(canonicalJson(one.plan)).toBe(canonicalJson(two.plan));
    expect(one.plan.recipe).toMatchObject({ file: "recipe.yaml", root: "." });
    expect(one.root).toBe(path.join(dir, "one"));
    expect(canonicalJson(one.plan)).not.toContain(dir);
  });

  it("writes absolute paths when asked, and they differ between checkouts", async () => {
    const env = {};
    const one = await planRecipe("recipe.yaml", { cwd: await checkout("one"), env, absolutePaths: true });
    const two = await planRecipe("recipe.yaml", { cwd: await checkout("two"), env, absolutePaths: true });
    expect(one.plan.recipe).toEqual({
      ...one.plan.recipe,
      file: path.join(dir, "one/recipe.yaml"),
      root: path.join(dir, "one"),
    });
    expect(canonicalJson(one.plan)).not.toBe(canonicalJson(two.plan));
    // Only the paths differ: the layers, and so the cache keys, are the same.
    expect(one.plan.layers).toEqual(two.plan.layers);
  });

  it("gives the same layer digests with relative and absolute paths, so cache keys keep their meaning", async () => {
    const root = await checkout("one");
    const relative = await planRecipe("recipe.yaml", { cwd: root, env: {} });
    const absolute = await planRecipe("recipe.yaml", { cwd: root, env: {}, absolutePaths: true });
    expect(relative.plan.layers.map((l) => l.inputsDigest)).toEqual(
      absolute.plan.layers.map((l) => l.inputsDigest),
    );
    expect(rootPlan(relative.plan, relative.root)).toEqual(absolute.plan);
  });

  it("keeps an archive parent relative to the recipe, and the runner's root resolves it", async () => {
    const root = await checkout("one");
    const file = path.join(root, "recipe.yaml");
    await mkdir(path.join(root, "images"));
    await writeFile(
      file,
      (await readFile(file, "utf8")).replace(
        "from: base@stable",
        "from: oci-archive:./images/../images/base.tar",
      ),
    );
    const { plan } = await planRecipe("recipe.yaml", { cwd: root, env: {} });
    expect(plan.parent).toMatchObject({ kind: "external", location: "images/base.tar" });
    expect(rootPlan(plan, root).parent).toMatchObject({ location: path.join(root, "images/base.tar") });
    expect(rootPlan(plan, root).recipe).toMatchObject({ file, root });
  });

  it("refuses to root a relative plan without a root", async () => {
    const { plan } = await planRecipe("recipe.yaml", { cwd: await checkout("one"), env: {} });
    expect(() => rootPlan(plan, undefined)).toThrow(expect.objectContaining({ code: "plan-root-missing" }));
  });
});

describe("planRecipe knows the secret values", () => {
  it("refuses a plain variable whose value is a secret's value, without printing it", async () => {
    const root = await checkout("one");
    const error = await planRecipe("recipe.yaml", {
      cwd: root,
      env: { BAKE_VAR_api_token: SECRET, BAKE_VAR_app_version: `v-${SECRET}` },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "secret-in-vars" });
    expect((error as BakeError).message).toBe(
      'the value of variable "app_version" holds the value of the secret variable "api_token"',
    );
    expect(`${(error as BakeError).message}${(error as BakeError).hint}`).not.toContain(SECRET);
  });
});
