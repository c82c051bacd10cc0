// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { BuildPlan } from "../../src/plan/types.js";
import { captureIO } from "../helpers/capture-io.js";
import { ensureBuilt, runBake } from "../helpers/compiled-cli.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/plan-web", import.meta.url));
const SECRET = "hunter2-very-secret";
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-plan-"));
  await cp(FIXTURE, dir, { recursive: true });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each run gets a secret value by default, and no output may show it.
function capture(env: Record<string, string> = { BAKE_VAR_api_token: SECRET }) {
  return captureIO({ cwd: dir, env });
}

async function planJson(args: string[] = [], env?: Record<string, string>) {
  const run = capture(env);
  const code = await main(["plan", "recipe.yaml", "--json", ...args], run.io);
  // A secret given with --var draws a warning about bake's command line (tested below); nothing else may show.
  expect(run.stderr().replace(/^warning: secret variable .*\n {2}hint: .*\n/m, "")).toBe("");
  expect(code).toBe(0);
  expect(run.stdout()).not.toContain(SECRET);
  return run.stdout();
}

describe("bake plan", () => {
  it("prints byte-identical JSON on every run", async () => {
    const first = await planJson();
    const second = await planJson();
    expect(second).toBe(first);
    expect(first.endsWith("}\n")).toBe(true);
    const plan = JSON.parse(first) as BuildPlan;
    expect(plan.lineage).toBe("web");
    expect(plan.version).toBe("2.4.0");
    expect(plan.parent).toEqual({ kind: "lineage", ref: "base@stable", lineage: "base" });
    expect(plan.layers.map((layer) => layer.name)).toEqual(["runtime", "app"]);
  });

  it("plans without a secret's value, since the plan holds only its name", async () => {
    const out = await planJson([], {});
    const plan = JSON.parse(out) as BuildPlan;
    expect(plan.secrets).toEqual(["api_token"]);
    expect(plan.layers[1]?.steps[2]).toMatchObject({ content: { secret: "token=${vars.api_token}\n" } });
  });

  it("never prints a secret's value, only its name and template", async () => {
    for (const [args, env] of [
      [["--var", `api_token=${SECRET}`], {}],
      [[], { BAKE_VAR_api_token: SECRET }],
    ] as const) {
      const out = await planJson([...args], env);
      expect(out).not.toContain(SECRET);
      const plan = JSON.parse(out) as BuildPlan;
      expect(plan.secrets).toEqual(["api_token"]);
      expect(plan.layers[1]?.steps[2]).toMatchObject({ content: { secret: "token=${vars.api_token}\n" } });
    }
    const human = capture({ BAKE_VAR_api_token: SECRET });
    expect(await main(["plan", "recipe.yaml"], human.io)).toBe(0);
    expect(human.stdout() + human.stderr()).not.toContain(SECRET);
  });

  it("changes only the copying layer's digest when a copied file changes", async () => {
    const before = JSON.parse(await planJson()) as BuildPlan;
    await writeFile(path.join(dir, "dist", "index.txt"), "changed\n");
    const after = JSON.parse(await planJson()) as BuildPlan;
    expect(after.layers[0]?.inputsDigest).toBe(before.layers[0]?.inputsDigest);
    expect(after.layers[1]?.inputsDigest).not.toBe(before.layers[1]?.inputsDigest);
    expect(after.recipe.digest).toBe(before.recipe.digest);
  });

  it("applies --var and --target", async () => {
    const plan = JSON.parse(
      await planJson(["--var", "app_version=3.0.0", "--target", "packer"]),
    ) as BuildPlan;
    expect(plan.version).toBe("3.0.0");
    expect(plan.target).toEqual({ driver: "packer", options: {} });
  });

  it("shows layers, steps, digests and checks to people", async () => {
    const run = capture();
    expect(await main(["plan", "recipe.yaml"], run.io)).toBe(0);
    const out = run.stdout();
    const plan = JSON.parse(await planJson()) as BuildPlan;
    expect(out).toContain("web 2.4.0");
    expect(out).toContain("base@stable (lineage base in the manifest)");
    expect(out).toContain("layer 1/2 runtime");
    expect(out).toContain("layer 2/2 app");
    expect(out).toContain(`inputs ${plan.layers[1]?.inputsDigest}`);
    expect(out).toContain("1. copy dist/ -> /opt/app/");
    expect(out).toContain("TOKEN=<secret template>");
    expect(out).toContain("- health: GET http://127.0.0.1:8080/health -> 200");
    expect(out).not.toContain("\u001b[");
  });

  it("prints recipe warnings to stderr and keeps stdout pure JSON", async () => {
    const recipe = await readFile(path.join(dir, "recipe.yaml"), "utf8");
    const withDefault = recipe.replace(
      "    secret: true\n",
      "    secret: true\n    default: committed-s3cret\n",
    );
    expect(withDefault).not.toBe(recipe);
    await writeFile(path.join(dir, "recipe.yaml"), withDefault);
    const run = capture({});
    expect(await main(["plan", "recipe.yaml", "--json"], run.io)).toBe(0);
    expect(run.stderr()).toContain("warning");
    expect(run.stderr()).toContain("api_token");
    expect((JSON.parse(run.stdout()) as BuildPlan).secrets).toEqual(["api_token"]);
    expect(run.stdout()).not.toContain("committed-s3cret");
  });

  it("colours the human view on a terminal unless NO_COLOR is set", async () => {
    for (const [env, coloured] of [
      [{ BAKE_VAR_api_token: SECRET }, true],
      [{ BAKE_VAR_api_token: SECRET, NO_COLOR: "1" }, false],
    ] as const) {
      const run = capture({ ...env });
      const io = { ...run.io, stdout: { write: run.io.stdout.write, isTTY: true } };
      expect(await main(["plan", "recipe.yaml"], io)).toBe(0);
      expect(run.stdout().includes("\u001b[")).toBe(coloured);
    }
  });

  it("reports a missing recipe as bad input without a stack trace", async () => {
    const run = capture();
    expect(await main(["plan", "nope.yaml"], run.io)).toBe(2);
    expect(run.stderr()).toContain("nope.yaml");
    expect(run.stderr()).not.toContain("    at ");
  });

  it("reports an unknown --target driver", async () => {
    const run = capture();
    expect(await main(["plan", "recipe.yaml", "--target", "gcp"], run.io)).toBe(2);
    expect(run.stderr()).toContain('unknown target driver "gcp"');
  });
});

// Issue 9 (secrets off process arguments): bake cannot hide its own argv, so it says when a secret is in it.
describe("a secret given with --var (compiled CLI)", () => {
  it("is warned about, with the environment variable to use instead, and not when it comes from the environment", async () => {
    await ensureBuilt();
    const onArgv = await runBake(["plan", "recipe.yaml", "--var", `api_token=${SECRET}`], { cwd: dir });
    expect(onArgv.code, onArgv.stderr).toBe(0);
    expect(onArgv.stderr).toContain(
      "warning: secret variable `api_token` was given with --var, so it is in bake's command line",
    );
    expect(onArgv.stderr).toContain(
      "hint: pass it as BAKE_VAR_API_TOKEN=VALUE in the environment, or in a --var-file",
    );
    expect(onArgv.stdout + onArgv.stderr).not.toContain(SECRET);
    const fromEnv = await runBake(["plan", "recipe.yaml"], {
      cwd: dir,
      env: { BAKE_VAR_API_TOKEN: SECRET },
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stderr).not.toContain("command line");
  }, 300_000);
});
