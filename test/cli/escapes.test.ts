import { appendFileSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { serializeEntry } from "../../src/manifest/hash.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { digest } from "../../src/util/digest.js";
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
