import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIO } from "../helpers/capture-io.js";
import { ensureBuilt, runBake } from "../helpers/compiled-cli.js";

const fixtures = join(import.meta.dirname, "../fixtures/recipes");

function capture(options: { env?: Record<string, string>; tty?: boolean } = {}) {
  return captureIO({ cwd: fixtures, ...options });
}

describe("bake validate", () => {
  test("prints a summary and exits 0 for a valid recipe", async () => {
    const run = capture();
    expect(await main(["validate", "valid/recipe.yaml"], run.io)).toBe(0);
    expect(run.stdout()).toBe("ok: valid/recipe.yaml (2 layers, 3 checks)\n");
    expect(run.stderr()).toBe("");
  });

  test("prints every error with its position, excerpt and hint, and exits 2", async () => {
    const run = capture();
    expect(await main(["validate", "unknown-key/recipe.yaml"], run.io)).toBe(2);
    expect(run.stdout()).toBe("");
    expect(run.stderr()).toBe(
      [
        "unknown-key/recipe.yaml:4:1: error: unknown key `layer` in the recipe",
        " 4 | layer:",
        "   | ^",
        "  hint: did you mean `layers`?",
        "invalid: unknown-key/recipe.yaml (1 error)",
        "",
      ].join("\n"),
    );
  });

  test("colours diagnostics on a terminal, and not when NO_COLOR is set", async () => {
    const tty = capture({ tty: true });
    await main(["validate", "bad-name/recipe.yaml"], tty.io);
    expect(tty.stderr()).toContain("\u001b[31m");
    const plain = capture({ tty: true, env: { NO_COLOR: "1" } });
    await main(["validate", "bad-name/recipe.yaml"], plain.io);
    expect(plain.stderr()).not.toContain("\u001b[");
  });

  test("prints machine-readable JSON with --json", async () => {
    const bad = capture();
    expect(await main(["validate", "duplicate-layer/recipe.yaml", "--json"], bad.io)).toBe(2);
    const report = JSON.parse(bad.stdout()) as {
      ok: boolean;
      errors: { code: string; location: { line: number } }[];
    };
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.code, e.location.line])).toEqual([["duplicate-layer", 8]]);
    const good = capture();
    expect(await main(["validate", "valid/recipe.yaml", "--json"], good.io)).toBe(0);
    expect(JSON.parse(good.stdout())).toEqual({
      ok: true,
      file: "valid/recipe.yaml",
      errors: [],
      warnings: [],
    });
  });

  test("never shows a secret's default in the excerpt of a warning", async () => {
    const run = capture();
    const recipe = join(fixtures, "../recipes-valid/secret-default/recipe.yaml");
    expect(await main(["validate", recipe], run.io)).toBe(0);
    expect(run.stderr()).toContain("secret variable `token` has a default written in the recipe");
    expect(run.stderr()).toContain("default: *********************");
    expect(run.stderr()).not.toContain("hunter2");
  });

  test("checks variable values given on the command line without showing secrets", async () => {
    const run = capture();
    const code = await main(
      ["validate", "valid/recipe.yaml", "--var", "workers=lots", "--var", "api_token=hunter2", "--json"],
      run.io,
    );
    expect(code).toBe(2);
    const report = JSON.parse(run.stdout()) as { errors: { message: string }[] };
    expect(report.errors.map((e) => e.message)).toEqual(['--var: "lots" for `workers` is not a number']);
    expect(run.stdout()).not.toContain("hunter2");
  });

  test("warns, without failing, about a required variable not given yet", async () => {
    const run = capture({ env: { BAKE_VAR_WORKERS: "3" } });
    expect(await main(["validate", "valid/recipe.yaml"], run.io)).toBe(0);
    expect(run.stderr()).toContain("warning: variable `api_token` has no value");
  });

  test("says clearly when the recipe file does not exist", async () => {
    const run = capture();
    expect(await main(["validate", "nowhere.yaml"], run.io)).toBe(2);
    expect(run.stderr()).toContain("error: no recipe at nowhere.yaml");
    expect(run.stderr()).not.toContain("    at ");
  });
});

// Regression (issue 10): `target` without `driver` is the local driver's, so its hints are the local driver's.
describe("bake validate on a target without a driver (compiled CLI)", () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  test("suggests the local driver's `network` for a typo, and BAKE_STORE for `store`", async () => {
    const typo = await runBake(["validate", "target-default-typo/recipe.yaml"], { cwd: fixtures });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown key `netwrk` in `target`");
    expect(typo.stderr).toContain("hint: did you mean `network`?");
    const store = await runBake(["validate", "target-store/recipe.yaml"], { cwd: fixtures });
    expect(store.code).toBe(2);
    expect(store.stderr).toContain("unknown key `store` in `target`");
    expect(store.stderr).toContain("BAKE_STORE environment variable");
    expect(store.stderr).not.toContain("known keys: `driver`\n");
  });
});
