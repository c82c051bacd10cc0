import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

// Issue 10.5: the README showed a local target the schema refused. The README's recipe snippets are run through
// the compiled CLI (`npm run build` first), as a reader who copies them would.

const repo = join(import.meta.dirname, "../..");
const bake = join(repo, "bin/bake.js");
const run = promisify(execFile);
const MINIMAL =
  'apiVersion: bake/v1\nname: web\nfrom: scratch\nlayers:\n  - name: app\n    steps:\n      - run: "true"\n';

let project: string;

async function cli(
  args: string[],
  recipe: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  await writeFile(join(project, "recipe.yaml"), recipe);
  try {
    const { stdout, stderr } = await run(process.execPath, [bake, ...args, "recipe.yaml"], {
      cwd: project,
      env: { PATH: process.env.PATH, NO_COLOR: "1" },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

// The ```yaml blocks of a README section: from its heading to the next heading of the same level or above,
// outside code fences (a YAML comment line looks like a heading).
async function yamlBlocks(heading: string): Promise<string[]> {
  const lines = (await readFile(join(repo, "README.md"), "utf8")).split("\n");
  const level = heading.indexOf(" ");
  const start = lines.indexOf(heading);
  expect(start, heading).toBeGreaterThan(0);
  const blocks: string[] = [];
  let fence: string[] | "other" | undefined;
  for (const line of lines.slice(start + 1)) {
    if (fence === undefined && /^#+ /.test(line) && line.indexOf(" ") <= level) break;
    if (line.startsWith("```")) {
      if (fence === undefined) fence = line === "```yaml" ? [] : "other";
      else {
        if (fence !== "other") blocks.push(fence.join("\n"));
        fence = undefined;
      }
    } else if (Array.isArray(fence)) fence.push(line);
  }
  return blocks.map((text) => `${text}\n`);
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "bake-readme-"));
  await mkdir(join(project, "dist"));
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe("the README's recipe snippets", () => {
  test("the Recipes example validates as written", async () => {
    const [example] = await yamlBlocks("## Recipes");
    expect(example).toContain("apiVersion: bake/v1");
    expect(await cli(["validate"], example as string)).toMatchObject({ code: 0, stderr: "" });
  });

  test("the local driver's target validates in a recipe, and plans as the local driver with its options", async () => {
    const blocks = await yamlBlocks("### local");
    const target = blocks.find((block) => block.startsWith("target:"));
    expect(target).toContain("network: none");
    const recipe = `${MINIMAL}${target}`;
    expect(await cli(["validate"], recipe)).toMatchObject({ code: 0, stderr: "" });
    const plan = await cli(["plan", "--json"], recipe);
    expect(JSON.parse(plan.stdout).target).toEqual({
      driver: "local",
      options: { network: "none", platform: "linux/amd64" },
    });
  });
});

describe("the README's publish example", () => {
  test("validates in a recipe and plans its pushes, the password kept a secret template", async () => {
    const blocks = await yamlBlocks("#### Push and publish");
    const block = blocks.find((text) => text.includes("publish:")) as string;
    const recipe = `${MINIMAL}${block}`;
    expect(await cli(["validate"], recipe)).toMatchObject({ code: 0, stderr: "" });
    const plan = JSON.parse((await cli(["plan", "--json"], recipe)).stdout);
    expect(plan.publish).toEqual([
      { to: "docker://registry.example.com:5000/team/web:2.4.0" },
      {
        to: "docker://registry.example.com:5000/team/web:latest",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the plan keeps the reference as written.
        credentials: { username: "ci-bot", password: { secret: "${vars.registry_password}" } },
      },
    ]);
  });
});

describe("the README's rollout checks", () => {
  test("validate in a recipe and plan as http checks on a port and path, with their timing", async () => {
    const blocks = await yamlBlocks("### Health gates and rollback");
    const block = blocks.find((text) => text.includes("rollout:")) as string;
    const recipe = `${MINIMAL}${block}`;
    expect(await cli(["validate"], recipe)).toMatchObject({ code: 0, stderr: "" });
    const plan = JSON.parse((await cli(["plan", "--json"], recipe)).stdout);
    expect(plan.rollout).toEqual({
      checks: [
        {
          name: "app answers",
          kind: "http",
          port: 8080,
          path: "/health",
          status: 200,
          bodyContains: "ok",
          retries: 10,
          intervalMs: 2000,
          timeoutMs: 5000,
        },
      ],
    });
  });

  test("refuse a secret variable, as verify checks do, and a path that is not one", async () => {
    const secret = `${MINIMAL}vars: { token: { secret: true } }\nrollout:\n  checks:\n    - http: { port: 8080, path: "/health?t=\${vars.token}" }\n`;
    const refused = await cli(["validate"], secret);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("secret variable `token` cannot be used here");
    const bad = await cli(
      ["validate"],
      `${MINIMAL}rollout:\n  checks:\n    - http: { port: 0, path: health }\n`,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/port/);
    expect(bad.stderr).toMatch(/path/);
  });
});

describe("a target without a driver", () => {
  test("is the local driver's, as a recipe without a target is", async () => {
    const recipe = `${MINIMAL}target: { network: none }\n`;
    expect(await cli(["validate"], recipe)).toMatchObject({ code: 0, stderr: "" });
    const plan = await cli(["plan", "--json"], recipe);
    expect(JSON.parse(plan.stdout).target).toEqual({ driver: "local", options: { network: "none" } });
    const without = await cli(["plan", "--json"], MINIMAL);
    expect(JSON.parse(without.stdout).target).toEqual({ driver: "local", options: {} });
  });

  test("still needs the driver's required options when it names another driver", async () => {
    const result = await cli(["validate"], `${MINIMAL}target: { driver: packer }\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("builder");
  });

  test("cannot name an image store: the store is the machine's (BAKE_STORE)", async () => {
    const result = await cli(["validate"], `${MINIMAL}target: { driver: local, store: .bake }\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown key `store` in `target`");
  });
});
