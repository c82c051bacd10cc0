import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "../e2e/project.js";
import { type CliRun, ensureBuilt, runBake } from "../helpers/compiled-cli.js";

// Regression for issue 9.2: a PEM key from a var file (a YAML block scalar) echoed by a step showed line by line.
const KEY_LINES = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACBv0mWq7Yw2lH0n2hVqkq3Jv3xKp7ZfQ9p4x1f2b3c4dAAAAJgAAAAAAAAA",
  "AAtzc2gtZWQyNTUxOQAAACBv0mWq7Yw2lH0n2hVqkq3Jv3xKp7ZfQ9p4x1f2b3c4dAAAA",
  "-----END OPENSSH PRIVATE KEY-----",
];
const KEY = `${KEY_LINES.join("\n")}\n`;
// What `base64` prints for the key: 76-column lines.
const KEY_BASE64_LINES =
  Buffer.from(KEY)
    .toString("base64")
    .match(/.{1,76}/g) ?? [];

const recipe = (name: string, ending: string) => `apiVersion: bake/v1
name: ${name}
version: "1.0.0"
from: host
target: { driver: local, network: none }
vars:
  deploy_key: { type: string, secret: true }
layers:
  - name: keys
    steps:
      - run: |
          echo "key follows"
          printf '%s\\n' "$KEY"
          printf '%s' "$KEY" | base64
          echo "key done"
          ${ending}
        env: { KEY: "\${vars.deploy_key}" }
verify:
  - run: "true"
`;

let project: Project;

beforeAll(async () => {
  await ensureBuilt();
  project = await Project.create();
  await project.write("ok.yaml", recipe("secret-ok", "true"));
  await project.write("fail.yaml", recipe("secret-fail", "exit 3"));
  await project.write("secrets.yaml", `deploy_key: |\n${KEY_LINES.map((line) => `  ${line}`).join("\n")}\n`);
}, 300_000);

afterAll(async () => {
  await project?.remove();
});

function build(recipeFile: string, ...flags: string[]): Promise<CliRun> {
  return runBake(["build", recipeFile, "--var-file", "secrets.yaml", "--no-cache", ...flags], {
    cwd: project.dir,
    env: { CI: "true" },
  });
}

function expectNoKey(text: string): void {
  for (const line of [...KEY_LINES, ...KEY_BASE64_LINES]) expect(text).not.toContain(line);
}

describe("bake build hides a multi-line secret from a var file", () => {
  it("in plain output: every line the step printed of the key shows as ***", async () => {
    const run = await build("ok.yaml");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("keys:1 | key follows");
    expect(run.stdout).toContain("keys:1 | key done");
    // The five lines of the key and the lines of its base64 form, each masked.
    expect(run.stdout.match(/keys:1 \| \*\*\*$/gm)?.length).toBe(KEY_LINES.length + KEY_BASE64_LINES.length);
    expectNoKey(run.stdout + run.stderr);
  }, 120_000);

  it("in --json output", async () => {
    const run = await build("ok.yaml", "--json");
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; line?: string })
      .filter((event) => event.type === "output")
      .map((event) => event.line);
    expect(lines).toContain("key follows");
    expect(lines.filter((line) => line === "***")).toHaveLength(KEY_LINES.length + KEY_BASE64_LINES.length);
    expectNoKey(run.stdout + run.stderr);
  }, 120_000);

  it("in the failure message that quotes the last output of a failing step", async () => {
    for (const flags of [[], ["--json"]]) {
      const run = await build("fail.yaml", ...flags);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('layer "keys", step 1');
      expect(run.stderr).toContain("last output of the step:");
      expect(run.stderr).toContain("  | key done");
      expect(run.stderr).toMatch(/^ {2}\| \*\*\*$/m);
      expectNoKey(run.stdout + run.stderr);
    }
  }, 120_000);
});
