import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { knownManifests } from "../../src/drivers/local/store-manifests.js";
import { Project } from "../e2e/project.js";

let project: Project;

beforeAll(async () => {
  project = await Project.create();
  await project.write(
    "svc/recipe.yaml",
    `apiVersion: bake/v1
name: cli-svc
version: "2.0.0"
from: host
target: { driver: local, network: none }
vars:
  token: { type: string, secret: true }
layers:
  - name: app
    steps:
      - run: mkdir -p /opt/svc && echo "using token $TOKEN" && echo ready > /opt/svc/state
        env: { TOKEN: "\${vars.token}" }
verify:
  - file: { path: /opt/svc/state, contains: ready }
`,
  );
  await project.write(
    "orphan/recipe.yaml",
    `apiVersion: bake/v1
name: cli-orphan
from: no-such-lineage
layers:
  - name: app
    steps:
      - run: "true"
`,
  );
});

afterAll(async () => {
  await project?.remove();
});

async function bake(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    cwd: project.dir,
    env: { PATH: process.env.PATH, ...env },
    stdout: { write: (text: string) => out.push(text), isTTY: false },
    stderr: { write: (text: string) => err.push(text), isTTY: false },
    signal: new AbortController().signal,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("bake build", () => {
  it("refuses a missing recipe with exit 2 and no stack trace", async () => {
    const run = await bake(["build", "nope/recipe.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nope/recipe.yaml");
    expect(run.stderr).not.toContain("    at ");
  });

  it("refuses an unknown target driver with exit 2", async () => {
    const run = await bake(["build", "svc/recipe.yaml", "--target", "nope", "--var", "token=x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nope");
    expect(run.stderr).not.toContain("    at ");
  });

  it("refuses a parent lineage the manifest does not have with exit 2", async () => {
    const run = await bake(["build", "orphan/recipe.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no-such-lineage");
    expect(run.stderr).not.toContain("    at ");
  });

  it("refuses to build without a value for a secret the steps need", async () => {
    const run = await bake(["build", "svc/recipe.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("`token` has no value");
  });

  it("prints plain progress in CI and the registered record, with secret values hidden everywhere", async () => {
    const run = await bake(
      ["build", "svc/recipe.yaml", "--var", "token=tok-9f8e7d", "--manifest", "ci/lineage.jsonl"],
      {
        CI: "true",
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} build cli-svc 2\.0\.0 with local/m);
    expect(run.stdout).toContain("app:1 | using token ***");
    expect(run.stdout).toMatch(/registered cli-svc 2\.0\.0 build 1\n {2}id {8}sha256:[0-9a-f]{64}\n/);
    expect(run.stdout).toContain("  lineage   cli-svc\n");
    expect(run.stdout).toContain("  build     1\n");
    expect(run.stdout).not.toContain("tok-9f8e7d");
    const manifest = await readFile(join(project.dir, "ci/lineage.jsonl"), "utf8");
    expect(manifest).toContain('"lineage":"cli-svc"');
    expect(manifest).not.toContain("tok-9f8e7d");
    // The store (shared by every project on the machine) knows which manifest records its images, for bake gc.
    expect(knownManifests(join(project.dir, ".bake")).map((known) => known.location)).toContain(
      join(project.dir, "ci/lineage.jsonl"),
    );
  });

  it("keeps every --json line valid JSON, with secrets holding quotes, backslashes, newlines or unicode hidden", async () => {
    const strings = (value: unknown): string[] =>
      typeof value === "string"
        ? [value]
        : Array.isArray(value)
          ? value.flatMap(strings)
          : value !== null && typeof value === "object"
            ? Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)])
            : [];
    // `"}` is also JSON's own text: hidden in the serialised line, it broke the result line's syntax.
    for (const secret of [
      '"}',
      'back\\slash "quoted" tok',
      "line one\nline two tok\n",
      "ünï©ødé ☃ \u2028 tok",
    ]) {
      const run = await bake(
        ["build", "svc/recipe.yaml", "--json", "--no-cache", "--manifest", "ci/json.jsonl"],
        {
          BAKE_VAR_token: secret,
        },
      );
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split("\n");
      const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events.at(-1)?.type).toBe("result");
      expect(events.some((event) => event.type === "output" && event.line === "using token ***")).toBe(true);
      for (const text of events.flatMap(strings)) expect(text).not.toContain(secret);
      // Nor in its JSON-escaped form, in the text (`"}` aside: that is how any JSON object ends).
      if (secret !== '"}') expect(run.stdout).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
  });

  it("rebuilds every layer with --no-cache, and says so", async () => {
    const run = await bake(
      [
        "build",
        "svc/recipe.yaml",
        "--var",
        "token=tok-9f8e7d",
        "--manifest",
        "ci/lineage.jsonl",
        "--no-cache",
      ],
      { CI: "true" },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("layer app step 1:");
    expect(run.stdout).toContain("(baked: app; cached: none)");
  });
});
