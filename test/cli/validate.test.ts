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

// Found by an external tester: `user: "4294967296"` passed validate and the step ran as root (uid 0), since the
// kernel's uids are 32 bits and the number wrapped around.
describe("bake validate on a uid the kernel cannot hold (compiled CLI)", () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  test("refuses the uid that wraps to root at file:line:col with a hint, and exits 2; plan agrees", async () => {
    const validate = await runBake(["validate", "uid-wrap/recipe.yaml"], { cwd: fixtures });
    expect(validate.code).toBe(2);
    expect(validate.stdout).toBe("");
    expect(validate.stderr).toContain(
      'uid-wrap/recipe.yaml:9:15: error: uid 4294967296 in user "4294967296" is out of range: a uid is a whole number from 0 to 4294967294',
    );
    expect(validate.stderr).toContain("hint: the kernel holds uids in 32 bits");
    expect(validate.stderr).not.toContain("    at ");
    const plan = await runBake(["plan", "uid-wrap/recipe.yaml"], { cwd: fixtures });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("uid-wrap/recipe.yaml:9:15");
  });

  test("refuses an owner beyond 32 bits and a mode of 0800 before any build, exit 2", async () => {
    const owner = await runBake(["validate", "owner-out-of-range/recipe.yaml"], { cwd: fixtures });
    expect(owner.code).toBe(2);
    expect(owner.stderr).toContain("owner-out-of-range/recipe.yaml:7:50: error: uid 99999999999");
    expect(owner.stderr).not.toContain("RangeError");
    const mode = await runBake(["validate", "mode-not-octal/recipe.yaml"], { cwd: fixtures });
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain("mode-not-octal/recipe.yaml:7:49: error: mode 0800 starts with 0");
  });
});
