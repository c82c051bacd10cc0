// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { appendFileSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { serializeEntry } from "../../src/manifest/hash.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { digest } from "../../src/util/digest.js";
import { Project } from "../e2e/project.js";
import { captureIO } from "../helpers/capture-io.js";
import { ensureBuilt, fleetDir, runCompiled } from "../manifest/cli-helpers.js";
import { imageInput } from "../manifest/helpers.js";

// Sets the window title, clears the screen, and (the bidi override) reverses the text after it.
const HOSTILE = "\u001b]0;PWNED\u0007\u001b[2J";
const BIDI = "\u202e";
const ESCAPED = "\\e]0;PWNED\\x07\\e[2J";

// What must never reach a terminal: ESC, BEL, C1 controls and bidi overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/**
 * A fleet plus what another tool (or an older bake) could have put into a shared manifest: an image whose version,
 * labels and details hold escape sequences, and a revoke event whose reason does, chained and hashed like any line.
 */
async function hostileFleet() {
  const fleet = await fleetDir();
  const manifest = await openManifest(fleet.path, { env: {} });
  const hostile = await manifest.register({
    ...imageInput({ lineage: "web", parent: { record: fleet.base3.id }, version: `6.6.6${HOSTILE}` }),
    labels: { team: `red${HOSTILE}`, [`key${BIDI}`]: "x" },
    details: { builder: `b${BIDI}gnp.exe` },
  });
  const lines = readFileSync(fleet.path, "utf8").trimEnd().split("\n");
  const { text } = serializeEntry({
    type: "event",
    event: "revoke",
    target: fleet.web1.id,
    reason: `${HOSTILE}${BIDI}CVE`,
    cascade: false,
    lineage: "web",
    at: "2026-11-28T00:00:00.000Z",
    bakeVersion: "0.1.0",
    prev: digest(lines[lines.length - 1] as string),
  });
  appendFileSync(fleet.path, `${text}\n`);
  return { ...fleet, hostile };
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("text from a shared manifest", () => {
  it("is printed escaped by history, show, trace, diff and fsck", async () => {
    const fleet = await hostileFleet();
    expect(runCompiled(["fsck"], { cwd: fleet.dir }).code).toBe(0);
    const runs = {
      history: runCompiled(["history"], { cwd: fleet.dir }),
      showRevoked: runCompiled(["show", "web#1"], { cwd: fleet.dir }),
      showHostile: runCompiled(["show", "web#4"], { cwd: fleet.dir }),
      trace: runCompiled(["trace", "web#4"], { cwd: fleet.dir }),
      diff: runCompiled(["diff", "web#3", "web#4"], { cwd: fleet.dir }),
    };
    for (const [name, run] of Object.entries(runs)) {
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect(RAW.test(run.stdout), `${name} printed a raw control character:\n${run.stdout}`).toBe(false);
      expect(RAW.test(run.stderr), name).toBe(false);
    }
    expect(runs.history.stdout).toContain(`revoked: ${ESCAPED}\\u202eCVE`);
    expect(runs.history.stdout).toContain(`6.6.6${ESCAPED}`);
    expect(runs.showRevoked.stdout).toContain(`revoked: ${ESCAPED}\\u202eCVE`);
    expect(runs.showHostile.stdout).toContain(`team=red${ESCAPED}`);
    expect(runs.showHostile.stdout).toContain("key\\u202e=x");
    expect(runs.showHostile.stdout).toContain("b\\u202egnp.exe");
    expect(runs.trace.stdout).toContain(`6.6.6${ESCAPED}`);
    expect(runs.diff.stdout).toContain(`6.6.6${ESCAPED}`);
  });

  it("is escaped in --json output too, which still parses to the stored value", async () => {
    const fleet = await hostileFleet();
    for (const args of [
      ["history", "--json"],
      ["show", "web#1", "--json"],
      ["trace", "web#4", "--json"],
    ]) {
      const run = runCompiled(args, { cwd: fleet.dir });
      expect(run.code).toBe(0);
      expect(RAW.test(run.stdout), args.join(" ")).toBe(false);
    }
    const show = JSON.parse(runCompiled(["show", "web#1", "--json"], { cwd: fleet.dir }).stdout);
    expect(show.status.reason).toBe(`${HOSTILE}${BIDI}CVE`);
  });

  it("is escaped in fsck messages about a damaged line", async () => {
    const fleet = await fleetDir();
    appendFileSync(fleet.path, `{"oops${HOSTILE}\n`);
    const run = runCompiled(["fsck"], { cwd: fleet.dir });
    expect(run.code).toBe(1);
    expect(RAW.test(run.stdout)).toBe(false);
  });

  it("is refused at write time in a revoke or deprecate reason, and the refusal is escaped", async () => {
    const fleet = await fleetDir();
    const before = readFileSync(fleet.path);
    for (const args of [
      ["revoke", "web#1", "--reason", `${HOSTILE}${BIDI}x`],
      ["deprecate", "web#1", "--reason", `${HOSTILE}${BIDI}x`],
    ]) {
      const run = runCompiled(args, { cwd: fleet.dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("reason holds control characters or bidirectional overrides");
      expect(run.stderr).toContain(`${ESCAPED}\\u202ex`);
      expect(RAW.test(run.stderr)).toBe(false);
    }
    expect(readFileSync(fleet.path)).toEqual(before);
  });
});

// A recipe whose file path, verify check name and step output hold escape sequences and a bidi override.
const HOSTILE_RECIPE = `apiVersion: bake/v1
name: esc
version: "\${vars.v}"
from: host
target: { driver: local, network: none }
vars:
  v: { default: "1" }
layers:
  - name: app
    steps:
      - file: { path: "/x\\e[31mRED\\u202e", content: "hi" }
      - run: printf 'out\\033[31mred\\a\\ttab\\n'
verify:
  - name: "ok\\e]0;pwned-title\\a"
    run: "true"
`;
// Clears the screen, then tries to pass for a line of its own.
const FORGED = "2\u001b[2J\nFAKE: injected line";

describe("text from a recipe or a --var value", () => {
  let project: Project;

  beforeAll(async () => {
    project = await Project.create();
    await project.write("esc.yaml", HOSTILE_RECIPE);
  });

  afterAll(async () => {
    await project?.remove();
  });

  async function bake(args: string[], env: Record<string, string> = {}) {
    const run = captureIO({ cwd: project.dir, env: { PATH: process.env.PATH, CI: "true", ...env } });
    const code = await main(args, run.io);
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }

  function expectSafe(name: string, run: { stdout: string; stderr: string }) {
    expect(RAW.test(run.stdout), `${name} printed a raw control character:\n${run.stdout}`).toBe(false);
    expect(RAW.test(run.stderr), `${name}: ${run.stderr}`).toBe(false);
    // A newline in a value shows as \n: it cannot start a line of its own.
    expect(run.stdout).not.toMatch(/^FAKE/m);
  }

  it("is printed escaped by bake plan, and a newline in a value does not forge a line", async () => {
    const run = await bake(["plan", "esc.yaml", "--var", `v=${FORGED}`]);
    expect(run.code, run.stderr).toBe(0);
    expectSafe("plan", run);
    expect(run.stdout).toContain("esc 2\\e[2J\\nFAKE: injected line\n");
    expect(run.stdout).toContain("1. file /x\\e[31mRED\\u202e\n");
    expect(run.stdout).toContain("- ok\\e]0;pwned-title\\x07: run true");
  });

  it("is printed escaped by bake build's progress lines and summary; step output keeps its tabs", async () => {
    const run = await bake(["build", "esc.yaml", "--var", `v=${FORGED}`]);
    expect(run.code, run.stderr).toBe(0);
    expectSafe("build", run);
    expect(run.stdout).toContain("build esc 2\\e[2J\\nFAKE: injected line with local");
    expect(run.stdout).toContain("layer app step 1: file /x\\e[31mRED\\u202e\n");
    expect(run.stdout).toContain("  app:2 | out\\e[31mred\\x07\ttab\n");
    expect(run.stdout).toContain("check 1: ok\\e]0;pwned-title\\x07: ok in");
    expect(run.stdout).toContain("registered esc 2\\e[2J\\nFAKE: injected line build 1\n");
    expect(run.stdout).toContain("  version   2\\e[2J\\nFAKE: injected line\n");
  });

  it("stays raw in bake build --json, where JSON escapes it and every line parses", async () => {
    const run = await bake(["build", "esc.yaml", "--var", `v=${FORGED}`, "--json", "--no-cache"]);
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown> & { record?: { version: string } });
    expect(events.find((event) => event.type === "build-started")?.version).toBe(FORGED);
    expect(events.find((event) => event.type === "result")?.record?.version).toBe(FORGED);
  });

  it("is printed escaped in bake validate's summary line", async () => {
    const dir = "dir-\u001b[31m-\u202e-x";
    const missing = await bake(["validate", `${dir}/recipe.yaml`]);
    expect(missing.code).toBe(2);
    expectSafe("validate (missing)", missing);
    expect(missing.stderr).toContain("invalid: dir-\\e[31m-\\u202e-x/recipe.yaml (1 error)");
    await mkdir(join(project.dir, dir));
    await project.write(`${dir}/recipe.yaml`, HOSTILE_RECIPE);
    const valid = await bake(["validate", `${dir}/recipe.yaml`]);
    expect(valid.code, valid.stderr).toBe(0);
    expectSafe("validate", valid);
    expect(valid.stdout).toContain("ok: dir-\\e[31m-\\u202e-x/recipe.yaml (1 layer, 1 check)");
  });
});
