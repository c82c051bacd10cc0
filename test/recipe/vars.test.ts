import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { BakeError } from "../../src/errors.js";
import type { Recipe } from "../../src/recipe/types.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";
import { resolveVars, type VarSources } from "../../src/recipe/vars.js";

const dir = mkdtempSync(join(tmpdir(), "bake-vars-"));

function recipeWith(vars: string): Recipe {
  const text = `apiVersion: bake/v1\nname: web\nfrom: scratch\nvars:\n${vars}\nlayers:\n  - name: app\n    steps:\n      - run: echo hi\n`;
  const result = validateRecipe(text, { file: join(dir, "recipe.yaml") });
  if (!result.recipe) throw new Error(JSON.stringify(result.errors));
  return result.recipe;
}

function sources(partial: Partial<VarSources>): VarSources {
  return { cliVars: [], varFiles: [], env: {}, cwd: dir, ...partial };
}

async function failure(promise: Promise<unknown>): Promise<BakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BakeError);
  return error as BakeError;
}

const recipe = recipeWith(
  [
    '  app_version: { type: string, default: "1.0.0", pattern: "[0-9]+\\\\.[0-9]+\\\\.[0-9]+" }',
    "  workers: { type: number, default: 2 }",
    "  debug: { type: boolean, default: false }",
    "  stage: { enum: [staging, production], default: staging }",
    "  api_token: { secret: true }",
  ].join("\n"),
);

describe("resolveVars", () => {
  test("prefers --var over --var-file over BAKE_VAR_* over the default", async () => {
    writeFileSync(join(dir, "a.yaml"), "workers: 5\nstage: production\napp_version: 3.0.0\n");
    writeFileSync(join(dir, "b.json"), '{ "workers": 6 }');
    const resolved = await resolveVars(
      recipe,
      sources({
        cliVars: ["workers=7"],
        varFiles: ["a.yaml", "b.json"],
        env: {
          BAKE_VAR_WORKERS: "8",
          BAKE_VAR_DEBUG: "true",
          BAKE_VAR_APP_VERSION: "9.9.9",
          BAKE_VAR_API_TOKEN: "s3cret",
        },
      }),
    );
    expect(resolved.values).toEqual({ app_version: "3.0.0", workers: 7, debug: true, stage: "production" });
    expect(resolved.secrets).toEqual({ api_token: "s3cret" });
  });

  test("lets a later var file win over an earlier one, and BAKE_VAR_* over the default", async () => {
    writeFileSync(join(dir, "c.yaml"), "workers: 5\n");
    writeFileSync(join(dir, "d.yaml"), "workers: 6\n");
    const resolved = await resolveVars(
      recipe,
      sources({
        varFiles: ["c.yaml", "d.yaml"],
        env: { BAKE_VAR_STAGE: "production", BAKE_VAR_API_TOKEN: "t" },
      }),
    );
    expect(resolved.values.workers).toBe(6);
    expect(resolved.values.stage).toBe("production");
    expect(resolved.values.app_version).toBe("1.0.0");
  });

  test("parses numbers and booleans and rejects values of the wrong type", async () => {
    const env = { BAKE_VAR_API_TOKEN: "t" };
    const ok = await resolveVars(recipe, sources({ cliVars: ["workers=2.5", "debug=false"], env }));
    expect(ok.values.workers).toBe(2.5);
    expect(ok.values.debug).toBe(false);
    const notNumber = await failure(resolveVars(recipe, sources({ cliVars: ["workers=many"], env })));
    expect(notNumber.message).toBe('--var: "many" for `workers` is not a number');
    expect(notNumber.exitCode).toBe(2);
    const notBoolean = await failure(resolveVars(recipe, sources({ cliVars: ["debug=yes"], env })));
    expect(notBoolean.message).toContain("is not a boolean");
    expect(notBoolean.hint).toBe("write true or false");
  });

  test("checks enum and pattern", async () => {
    const env = { BAKE_VAR_API_TOKEN: "t" };
    const badEnum = await failure(resolveVars(recipe, sources({ cliVars: ["stage=prod"], env })));
    expect(badEnum.message).toContain("is not one of the allowed values");
    expect(badEnum.hint).toBe('allowed: "staging", "production"');
    const badPattern = await failure(resolveVars(recipe, sources({ cliVars: ["app_version=1.0"], env })));
    expect(badPattern.message).toContain("does not match the pattern");
  });

  test("names how to supply a missing required variable", async () => {
    const error = await failure(resolveVars(recipe, sources({})));
    expect(error.message).toBe("variable `api_token` has no value");
    expect(error.hint).toContain("--var api_token=VALUE");
    expect(error.hint).toContain("BAKE_VAR_API_TOKEN=VALUE");
  });

  test("never shows a secret value in an error", async () => {
    const strict = recipeWith('  api_token: { secret: true, pattern: "tok-[a-z]+" }');
    const error = await failure(resolveVars(strict, sources({ cliVars: ["api_token=hunter2-XYZ"] })));
    const text = `${error.message}\n${error.hint ?? ""}\n${error.detail ?? ""}`;
    expect(text).not.toContain("hunter2");
    expect(error.message).toContain("the value given for api_token");
  });

  test("rejects an undeclared variable with the nearest name, and a --var without =", async () => {
    const env = { BAKE_VAR_API_TOKEN: "t" };
    const unknown = await failure(resolveVars(recipe, sources({ cliVars: ["worker=3"], env })));
    expect(unknown.message).toContain("`worker`");
    expect(unknown.hint).toBe("did you mean `workers`?");
    const malformed = await failure(resolveVars(recipe, sources({ cliVars: ["workers"], env })));
    expect(malformed.code).toBe("usage");
  });

  test("reports several problems at once", async () => {
    const error = await failure(resolveVars(recipe, sources({ cliVars: ["workers=x", "debug=2"] })));
    expect(error.message).toBe("3 problems with variables");
    expect(error.detail).toContain("`workers`");
    expect(error.detail).toContain("api_token");
  });

  test("refuses a var file that is missing or not a mapping", async () => {
    expect((await failure(resolveVars(recipe, sources({ varFiles: ["nope.yaml"] })))).code).toBe(
      "var-file-unreadable",
    );
    writeFileSync(join(dir, "list.yaml"), "- a\n- b\n");
    expect((await failure(resolveVars(recipe, sources({ varFiles: ["list.yaml"] })))).code).toBe(
      "var-file-invalid",
    );
  });
});

describe("control characters in values", () => {
  test("a NUL is refused whether it comes from --var or BAKE_VAR_*, naming the source", async () => {
    const cli = await failure(
      resolveVars(recipe, sources({ cliVars: ["app_version=1.0\u00000"], env: { BAKE_VAR_API_TOKEN: "x" } })),
    );
    expect(cli.message).toBe(
      '--var: "1.0\\u00000" for `app_version` contains a NUL character (\\0), which no environment variable, argument or path can hold',
    );
    const env = await failure(resolveVars(recipe, sources({ env: { BAKE_VAR_API_TOKEN: "s3\u0000cret" } })));
    expect(env.message).toContain(
      "BAKE_VAR_API_TOKEN: the value given for api_token contains a NUL character",
    );
    expect(env.message).not.toContain("s3");
  });

  test("a pattern is matched by a linear-time engine: a catastrophic one answers at once", async () => {
    const slow = recipeWith('  v: { type: string, pattern: "(a+)+$" }');
    const started = Date.now();
    const error = await failure(resolveVars(slow, sources({ cliVars: [`v=${"a".repeat(5000)}!`] })));
    expect(error.message).toContain("does not match the pattern");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("var files never echo their content", () => {
  const secret = "GrünerTee-2024!";
  const secretRecipe = recipeWith("  db_password: { type: string, secret: true }");

  async function varFileError(name: string, content: Buffer | string): Promise<BakeError> {
    writeFileSync(join(dir, name), content);
    return failure(resolveVars(secretRecipe, sources({ varFiles: [name] })));
  }

  function shown(error: BakeError): string {
    return [error.message, error.hint ?? "", error.detail ?? ""].join("\n");
  }

  test("an encoding error gives the position and a hint, never the line", async () => {
    const error = await varFileError("latin1.yaml", Buffer.from(`db_password: ${secret}\n`, "latin1"));
    expect(error.code).toBe("var-file-invalid");
    expect(error.location).toEqual({ file: "latin1.yaml", line: 1, col: 16 });
    expect(error.message).toContain("not valid UTF-8: byte 0xFC");
    expect(error.detail).toBeUndefined();
    expect(shown(error)).not.toContain("nerTee-2024");
  });

  test.each([
    [
      "a duplicate key",
      `db_password: x\ndb_password: "${secret}"\n`,
      2,
      1,
      "a key appears twice in the same mapping",
    ],
    ["two documents", `db_password: "${secret}"\n---\nx: 1\n`, 2, 1, "more than one YAML document"],
    ["an unclosed quote", `db_password: "${secret}\n`, 1, 14, "this quoted value is never closed"],
    ["a bad escape", `db_password: "${secret}\\q"\n`, 1, 30, "invalid escape sequence"],
    ["a line that is not a pair", `db_password: x\n${secret}\n`, 2, 1, "not a NAME: VALUE pair"],
  ])("%s is refused at file:line:col without the value", async (_what, content, line, col, message) => {
    const error = await varFileError("bad.yaml", content);
    expect(error.code).toBe("var-file-invalid");
    expect(error.location).toEqual({ file: "bad.yaml", line, col });
    expect(error.message).toContain(message);
    expect(shown(error)).not.toContain("nerTee-2024");
  });
});

describe("variable names that Object.prototype also has", () => {
  test("__proto__, constructor and toString resolve to their own values, secret or not", async () => {
    const odd = recipeWith(
      [
        '  __proto__: { default: "p" }',
        "  toString: { type: number }",
        "  constructor: { secret: true }",
      ].join("\n"),
    );
    writeFileSync(join(dir, "odd.yaml"), "toString: 3\n");
    const resolved = await resolveVars(
      odd,
      sources({ varFiles: ["odd.yaml"], env: { BAKE_VAR___PROTO__: "x", BAKE_VAR_CONSTRUCTOR: "c" } }),
    );
    expect(Object.getOwnPropertyDescriptor(resolved.values, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(resolved.values)).toBe(Object.prototype);
    expect(Object.keys(resolved.values)).toEqual(["__proto__", "toString"]);
    expect(resolved.values.toString).toBe(3);
    expect(Object.getOwnPropertyDescriptor(resolved.secrets, "constructor")?.value).toBe("c");
  });
});
