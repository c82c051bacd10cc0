// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBuilt, repo, runBake } from "../helpers/compiled-cli.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/plan-web", import.meta.url));
const SECRET = "hunter2-very-secret";
const index = pathToFileURL(path.join(repo, "dist/index.js")).href;
let dir: string;

beforeAll(ensureBuilt, 300_000);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-errors-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function checkout(name: string): Promise<string> {
  const root = path.join(dir, name);
  await cp(FIXTURE, root, { recursive: true });
  return root;
}

// A program that imports the built package, run as its own process, as a tool using bake would be.
async function runModule(code: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  const file = path.join(dir, `tool-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, code);
  return promisify(execFile)(process.execPath, [file], { cwd, env: { PATH: process.env.PATH ?? "" } });
}

describe("the package as a tool uses it", () => {
  it("refuses a secret's value passed to compile with secretNames: [], so it never reaches a plan", async () => {
    const root = await checkout("a");
    const { stdout } = await runModule(
      `import { compile, gatherInputs, loadRecipeOrThrow, isBakeError } from ${JSON.stringify(index)};
const { recipe } = await loadRecipeOrThrow("recipe.yaml");
const inputs = await gatherInputs(recipe);
try {
  const plan = compile(recipe, { vars: { app_version: "1", api_token: ${JSON.stringify(SECRET)} }, secretNames: [], inputs });
  console.log("PLAN " + JSON.stringify(plan));
} catch (error) {
  console.log(JSON.stringify({ bake: isBakeError(error), code: error.code, message: error.message, location: error.location }));
}`,
      root,
    );
    expect(stdout).not.toContain(SECRET);
    expect(JSON.parse(stdout)).toEqual({
      bake: true,
      code: "secret-in-vars",
      message: 'a value was given in vars for the secret variable "api_token"',
      location: { file: "recipe.yaml", line: 13, col: 3 },
    });
  });

  it("renders diagnostics without options", async () => {
    const root = await checkout("a");
    await writeFile(path.join(root, "recipe.yaml"), "apiVersion: bake/v1\nname: Web\n");
    const { stdout } = await runModule(
      `import { loadRecipe, renderDiagnostics } from ${JSON.stringify(index)};
const { errors } = await loadRecipe("recipe.yaml");
process.stdout.write(renderDiagnostics(errors));`,
      root,
    );
    expect(stdout).toContain("recipe.yaml:2:7: error: ");
    expect(stdout).toContain("recipe.yaml:1:1: error: the recipe is missing `from`");
  });

  it("recognises a BakeError from another copy of the package with isBakeError, where instanceof fails", async () => {
    const copies = [path.join(dir, "one"), path.join(dir, "two")];
    for (const copy of copies) {
      await mkdir(copy);
      await cp(path.join(repo, "dist/errors.js"), path.join(copy, "errors.js"));
    }
    const [one, two] = copies.map((copy) => JSON.stringify(pathToFileURL(path.join(copy, "errors.js")).href));
    const { stdout } = await runModule(
      `const a = await import(${one});
const b = await import(${two});
const error = new a.BakeError({ code: "copy-missing", message: "m" });
console.log(JSON.stringify({
  sameClass: a.BakeError === b.BakeError,
  instanceOfOther: error instanceof b.BakeError,
  isBakeError: b.isBakeError(error),
  plainError: b.isBakeError(new Error("x")),
  lookalike: b.isBakeError({ code: "copy-missing", message: "m", name: "BakeError" }),
}));`,
      dir,
    );
    expect(JSON.parse(stdout)).toEqual({
      sameClass: false,
      instanceOfOther: false,
      isBakeError: true,
      plainError: false,
      lookalike: false,
    });
  });
});

describe("one code per condition across validator and compiler", () => {
  it("gives parent-invalid for a bad `from`, found by the validator or by the compiler", async () => {
    const root = await checkout("a");
    const file = path.join(root, "recipe.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("from: base@stable", 'from: "oops:thing"'));
    const validated = await runBake(["validate", "recipe.yaml", "--json"], { cwd: root });
    expect(validated.code).toBe(2);
    expect(JSON.parse(validated.stdout).errors.map((e: { code: string }) => e.code)).toEqual([
      "parent-invalid",
    ]);

    // Through a variable, only the compiler sees the value: same code, and it points at the same line.
    await writeFile(file, text.replace("from: base@stable", 'from: "${vars.app_version}"'));
    const planned = await runBake(["plan", "recipe.yaml", "--var", "app_version=oops:thing"], {
      cwd: root,
      env: { GITHUB_ACTIONS: "true", NO_COLOR: "1" },
    });
    expect(planned.code).toBe(2);
    expect(planned.stderr).toContain(
      "::error file=recipe.yaml,line=6,col=7,title=bake plan%3A parent-invalid::",
    );
    expect(planned.stderr).toContain("error: recipe.yaml:6:7: ");
  });

  it("gives copy-missing for a missing copy source, from validate and from plan", async () => {
    const root = await checkout("a");
    await rm(path.join(root, "dist"), { recursive: true });
    const validated = await runBake(["validate", "recipe.yaml", "--json"], { cwd: root });
    expect(JSON.parse(validated.stdout).errors.map((e: { code: string }) => e.code)).toEqual([
      "copy-missing",
    ]);
    const { stdout } = await runModule(
      `import { gatherInputs } from ${JSON.stringify(index)};
try { await gatherInputs({ layers: [{ steps: [{ kind: "copy", from: "dist/" }] }], source: { root: ".", file: "recipe.yaml" } }); }
catch (error) { console.log(error.code); }`,
      root,
    );
    expect(stdout.trim()).toBe("copy-missing");
  });
});

describe("bake plan --json is the same in every checkout", () => {
  it("prints identical bytes for the same recipe in two directories", async () => {
    const env = { CI: "true", NO_COLOR: "1", BAKE_VAR_api_token: SECRET };
    const one = await runBake(["plan", "recipe.yaml", "--json"], { cwd: await checkout("one"), env });
    const two = await runBake(["plan", "recipe.yaml", "--json"], {
      cwd: await checkout("elsewhere/two"),
      env,
    });
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(two.stdout);
    expect(one.stdout).not.toContain(dir);
    expect(JSON.parse(one.stdout).recipe).toMatchObject({ file: "recipe.yaml", root: "." });
  });
});

describe("bake build --jobs", () => {
  it("refuses a bad job count with exit 2 for one recipe too, from the flag or BAKE_JOBS, before building", async () => {
    const root = await checkout("jobs");
    for (const [args, env] of [
      [["--jobs", "abc"], {}],
      [["--jobs", "0"], {}],
      [[], { BAKE_JOBS: "abc" }],
    ] as const) {
      const result = await runBake(["build", "recipe.yaml", ...args], {
        cwd: root,
        env: { CI: "true", ...env },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("--jobs must be a whole number from 1 to 64");
    }
  });
});
