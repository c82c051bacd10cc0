// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadRecipeOrThrow } from "../../src/recipe/load.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const dir = mkdtempSync(join(tmpdir(), "bake-normalize-"));
mkdirSync(join(dir, "dist"));
writeFileSync(join(dir, "dist", "app.js"), "console.log(1)\n");
const file = join(dir, "recipe.yaml");
const head = "apiVersion: bake/v1\nname: web\nfrom: scratch\n";

function valid(text: string) {
  const result = validateRecipe(head + text, { file });
  expect(result.errors).toEqual([]);
  if (!result.recipe) throw new Error("no recipe");
  return result;
}

describe("normalisation", () => {
  test("applies defaults: version, local target, check timing, http status and file existence", () => {
    const { recipe } = valid(
      "layers:\n  - name: app\n    steps:\n      - run: [echo, hi]\nverify:\n  - http: { url: http://127.0.0.1/ }\n  - file: { path: /etc/motd }\n  - run: |\n      test -f /x\n      test -f /y\n",
    );
    expect(recipe?.version).toBe("0.0.0");
    expect(recipe?.target).toEqual({ driver: "local", options: {} });
    expect(recipe?.layers[0]?.steps[0]).toEqual({ kind: "run", argv: ["echo", "hi"], env: {} });
    expect(recipe?.verify).toEqual([
      {
        kind: "http",
        url: "http://127.0.0.1/",
        status: 200,
        retries: 0,
        intervalMs: 1000,
        timeoutMs: 30000,
        name: "http: http://127.0.0.1/",
      },
      {
        kind: "file",
        path: "/etc/motd",
        exists: true,
        retries: 0,
        intervalMs: 1000,
        timeoutMs: 30000,
        name: "file: /etc/motd",
      },
      {
        kind: "run",
        script: "test -f /x\ntest -f /y\n",
        env: {},
        retries: 0,
        intervalMs: 1000,
        timeoutMs: 30000,
        name: "run: test -f /x ...",
      },
    ]);
    expect(recipe?.source).toEqual({ file, root: dir });
  });

  test("reads octal modes from strings and from numbers written with a leading zero", () => {
    const { recipe } = valid(
      'layers:\n  - name: app\n    steps:\n      - copy: { from: dist, to: /opt/, mode: "0755" }\n      - file: { path: /a, content: x, mode: 0640 }\n      - file: { path: /b, content: x, mode: 420 }\n',
    );
    expect(recipe?.layers[0]?.steps.map((step) => ("mode" in step ? step.mode : undefined))).toEqual([
      0o755, 0o640, 420,
    ]);
  });

  test("warns about a mode that looks octal but is written as a decimal number", () => {
    const { warnings } = valid(
      "layers:\n  - name: app\n    steps:\n      - file: { path: /a, content: x, mode: 644 }\n",
    );
    expect(warnings.map((w) => [w.code, w.location?.line, w.location?.col])).toEqual([
      ["mode-decimal", 7, 45],
    ]);
    expect(warnings[0]?.hint).toBe('write it as the string "0644" for octal permissions');
  });

  test("parses durations and passes driver options through", () => {
    const { recipe } = valid(
      'target: { driver: gce, project: p, zone: z, diskSizeGb: 20 }\nlayers:\n  - name: app\n    steps:\n      - run: sleep 1\n        timeout: 1m30s\nverify:\n  - run: "true"\n    interval: 500ms\n    timeout: 2s\n    retries: 3\n    name: quick\n',
    );
    expect(recipe?.target).toEqual({ driver: "gce", options: { project: "p", zone: "z", diskSizeGb: 20 } });
    expect(recipe?.layers[0]?.steps[0]).toMatchObject({ timeoutMs: 90_000 });
    expect(recipe?.verify[0]).toMatchObject({ name: "quick", retries: 3, intervalMs: 500, timeoutMs: 2000 });
  });

  test("keeps interpolations for the compiler and allows them in argv, env, content and plain fields", () => {
    const { recipe } = valid(
      'vars:\n  v: { default: "1" }\n  t: { secret: true }\nversion: "${vars.v}"\nlabels: { app: "${vars.v}" }\nlayers:\n  - name: app\n    steps:\n      - run: [echo, "${vars.v}"]\n        env: { T: "${vars.t}", V: "${vars.v}" }\n      - file: { path: /t, content: "${vars.t}" }\n',
    );
    expect(recipe?.version).toBe("${vars.v}");
    expect(recipe?.labels).toEqual({ app: "${vars.v}" });
    expect(recipe?.vars.t).toEqual({ type: "string", secret: true });
  });

  test("suggests quoting a value YAML read as a boolean or number where text belongs", () => {
    const result = validateRecipe(`${head}layers:\n  - name: app\n    steps:\n      - run: true\n`, { file });
    expect(result.errors.map((e) => [e.message, e.hint, e.location?.line, e.location?.col])).toEqual([
      ["`run` must be a string or a list of strings, not true or false", 'quote it: `run: "true"`', 7, 14],
    ]);
  });

  test("keeps keys such as __proto__ as plain data", () => {
    const { recipe } = valid(
      'vars:\n  __proto__: { default: "x" }\nlabels: { a: "${vars.__proto__}" }\nlayers:\n  - name: app\n    steps:\n      - run: env\n        env: { __proto__: "1" }\n',
    );
    expect(Object.keys(recipe?.vars ?? {})).toEqual(["__proto__"]);
    expect(Object.hasOwn(recipe?.vars ?? {}, "__proto__")).toBe(true);
    const step = recipe?.layers[0]?.steps[0];
    expect(step && "env" in step ? Object.keys(step.env) : []).toEqual(["__proto__"]);
  });

  test("warns when a secret has a default written in the recipe", () => {
    const { warnings } = valid(
      'vars:\n  t: { secret: true, default: "x" }\nlayers:\n  - name: app\n    steps:\n      - run: "true"\n',
    );
    expect(warnings.map((w) => w.code)).toEqual(["secret-default"]);
  });

  test("reports every semantic error, not just the first", () => {
    const result = validateRecipe(
      `${head}vars:\n  v: { default: "1" }\nlayers:\n  - name: a\n    steps:\n      - run: echo \${vars.v}\n  - name: a\n    steps:\n      - copy: { from: nope, to: /x }\n`,
      { file },
    );
    expect(result.errors.map((e) => e.code).sort()).toEqual([
      "copy-missing",
      "duplicate-layer",
      "script-interpolation",
    ]);
  });

  test("refuses a recipe over the size limit before parsing it", () => {
    const result = validateRecipe(`${head}description: "${"x".repeat(1024 * 1024)}"\n`, { file });
    expect(result.errors.map((e) => e.code)).toEqual(["recipe-too-large"]);
  });

  test("loadRecipeOrThrow throws one BakeError that renders every error", async () => {
    writeFileSync(file, `${head}layers: []\nlabels: { Bad: x }\n`);
    const error = await loadRecipeOrThrow(file).then(
      () => undefined,
      (e: unknown) => e as { code: string; exitCode: number; message: string; detail: string },
    );
    expect(error?.code).toBe("recipe-invalid");
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toBe(`${file}: 2 errors in the recipe`);
    expect(error?.detail).toContain(`${file}:4:9: error: the recipe has no layers`);
    expect(error?.detail).toContain(`${file}:5:11: error: \`Bad\` is not a valid key in \`labels\``);
  });
});

describe("reading recipe files", () => {
  test("refuses an endless device without reading it, as it is not a regular file", async () => {
    const { loadRecipe } = await import("../../src/recipe/load.js");
    const result = await loadRecipe("/dev/zero");
    expect(result.errors.map((e) => e.code)).toEqual(["recipe-not-a-file"]);
    expect(result.errors[0]?.message).toBe("/dev/zero is a character device, not a regular file");
  });
});
