import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { ensureBuilt, fleetDir, runCompiled } from "../manifest/cli-helpers.js";
import { imageInput } from "../manifest/helpers.js";

// The fleet's lines: 1 header, 2 base#1, 3 base#2, 4 base layer runtime, 5 base#3, 6 web#1, 7 web layer app,
// 8 web#2, 9 web#3, 10 base@stable -> base#3, 11 web@stable -> web#2, 12 web@canary -> web#3.
const RECIPE = `apiVersion: bake/v1
name: tamper
version: "1.0.0"
from: scratch
target: { driver: local }
layers:
  - name: app
    steps:
      - file: { path: /etc/motd, content: hi }
verify:
  - file: { path: /etc/motd, contains: hi }
`;

interface Tamper {
  kind: string;
  /** Changes the lines of the manifest (index 0 is line 1). */
  edit: (lines: string[]) => void;
  /** The line writers and readers must name. */
  line: number;
  /** Where `bake fsck` reports a problem. */
  fsckLine: number;
}

const TAMPERS: Tamper[] = [
  {
    kind: "an edited build number",
    edit: (lines) => {
      lines[7] = (lines[7] as string).replace('"build":2,', '"build":9,');
    },
    line: 8,
    fsckLine: 8,
  },
  {
    kind: "a deleted line",
    edit: (lines) => {
      lines.splice(4, 1);
    },
    line: 5,
    fsckLine: 5,
  },
  {
    kind: "two swapped lines",
    edit: (lines) => {
      const sixth = lines[5] as string;
      lines[5] = lines[6] as string;
      lines[6] = sixth;
    },
    line: 6,
    fsckLine: 6,
  },
  {
    kind: "an edited header",
    edit: (lines) => {
      lines[0] = (lines[0] as string).replace(
        /"createdAt":"[^"]+"/,
        '"createdAt":"2020-01-01T00:00:00.000Z"',
      );
    },
    line: 1,
    fsckLine: 2,
  },
  {
    kind: "an edited last line",
    edit: (lines) => {
      lines[11] = (lines[11] as string).replace('"channel":"canary"', '"channel":"stable"');
    },
    line: 12,
    fsckLine: 12,
  },
  {
    kind: "an edited middle record",
    edit: (lines) => {
      lines[2] = (lines[2] as string).replace('"version":"1.1.0"', '"version":"1.1.9"');
    },
    line: 3,
    fsckLine: 3,
  },
  {
    kind: "an edited last line that also lost its newline",
    edit: (lines) => {
      lines[11] = (lines[11] as string).replace('"channel":"canary"', '"channel":"stable"');
      lines.pop();
    },
    line: 12,
    fsckLine: 12,
  },
  {
    kind: "a line added at the end without a newline, which does not follow the last one",
    edit: (lines) => {
      lines[12] = lines[10] as string;
    },
    line: 13,
    fsckLine: 13,
  },
];

async function tampered(tamper: Tamper) {
  const fleet = await fleetDir();
  writeFileSync(join(fleet.dir, "recipe.yaml"), RECIPE);
  // A history first, so a history cache and a chain checkpoint exist and must not hide the edit.
  expect(runCompiled(["history"], { cwd: fleet.dir }).code).toBe(0);
  const lines = readFileSync(fleet.path, "utf8").split("\n");
  expect(lines).toHaveLength(13);
  tamper.edit(lines);
  writeFileSync(fleet.path, lines.join("\n"));
  return { ...fleet, bytes: readFileSync(fleet.path) };
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe("a manifest edited by hand", () => {
  for (const tamper of TAMPERS) {
    it(`with ${tamper.kind} is refused by build, promote and revoke with exit 2 naming line ${tamper.line}`, async () => {
      const fleet = await tampered(tamper);
      const named = new RegExp(`bake\\.lineage\\.jsonl: line ${tamper.line}\\b`);
      const writes = [
        ["build", "recipe.yaml"],
        ["promote", "web#1", "prod"],
        ["revoke", "web#1", "--reason", "test"],
        ["deprecate", "web#1"],
      ];
      for (const args of writes) {
        const run = runCompiled(args, { cwd: fleet.dir });
        expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toMatch(named);
        expect(run.stderr).toContain("bake will not write to a manifest whose chain is broken");
        expect(run.stderr).toContain("run `bake fsck`");
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
      // Nothing was appended, and nothing was repaired behind the user's back.
      expect(readFileSync(fleet.path)).toEqual(fleet.bytes);
      const fsck = runCompiled(["fsck"], { cwd: fleet.dir });
      expect(fsck.code).toBe(1);
      expect(fsck.stdout).toContain(`bake.lineage.jsonl:${tamper.fsckLine}:`);
    }, 120_000);

    it(`with ${tamper.kind} is shown by readers with a warning naming line ${tamper.line}`, async () => {
      const fleet = await tampered(tamper);
      const warning = new RegExp(
        `warning: .*bake\\.lineage\\.jsonl: line ${tamper.line}\\b.*may not be what bake recorded`,
      );
      for (const args of [
        ["history"],
        ["history", "--json"],
        ["show", "web#1"],
        ["trace", "web#1"],
        ["diff", "web#1", "web#3"],
      ]) {
        const run = runCompiled(args, { cwd: fleet.dir });
        expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
        expect(run.stderr).toMatch(warning);
      }
      const json = JSON.parse(runCompiled(["show", "web#1", "--json"], { cwd: fleet.dir }).stdout);
      expect(json).toMatchObject({ intact: false, problem: { line: tamper.line } });
    }, 120_000);
  }

  it("refuses bake build before planning or starting a sandbox: no build event, and the recipe is not even read", async () => {
    const fleet = await tampered(TAMPERS[0] as Tamper);
    for (const recipe of ["recipe.yaml", "missing-recipe.yaml"]) {
      const run = runCompiled(["build", recipe, "--json"], { cwd: fleet.dir });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/bake\.lineage\.jsonl: line 8\b/);
      expect(run.stderr).toContain("bake will not write to a manifest whose chain is broken");
      // With --json every build event is a stdout line: before the fix, the sandbox ran its step first.
      expect(run.stdout).not.toMatch(/build-started|step-started|layer-started/);
      expect(run.stdout).toBe("");
    }
    expect(readFileSync(fleet.path)).toEqual(fleet.bytes);
  }, 60_000);

  it("shows an edited record as it now reads, not as the history cache remembers it", async () => {
    const fleet = await tampered(TAMPERS[5] as Tamper);
    const history = runCompiled(["history", "base", "--json"], { cwd: fleet.dir });
    const versions = JSON.parse(history.stdout).lineages[0].entries.map(
      (e: { version: string }) => e.version,
    );
    expect(versions).toContain("1.1.9");
    expect(versions).not.toContain("1.1.0");
  });

  it("keeps a channel whose image line was deleted in the history, marked as missing", async () => {
    const fleet = await tampered(TAMPERS[1] as Tamper);
    const text = runCompiled(["history", "base"], { cwd: fleet.dir });
    expect(text.stdout).toMatch(/@stable -> [0-9a-f]{12}, which is missing from the manifest/);
    const json = JSON.parse(runCompiled(["history", "--json"], { cwd: fleet.dir }).stdout);
    const base = json.lineages.find((l: { lineage: string }) => l.lineage === "base");
    expect(base.danglingChannels).toEqual([{ channel: "stable", target: fleet.base3.id }]);
    const show = runCompiled(["show", "base@stable"], { cwd: fleet.dir });
    expect(show.code).toBe(2);
    expect(show.stderr).toContain("base@stable points at");
    expect(show.stderr).toContain("which is not in the manifest (its line was removed)");
  });

  it("does not skip build numbers after an edit: the register is refused, then works once the line is restored", async () => {
    const fleet = await fleetDir();
    const original = readFileSync(fleet.path);
    const lines = original.toString("utf8").split("\n");
    lines[8] = (lines[8] as string).replace('"build":3,', '"build":9,');
    writeFileSync(fleet.path, lines.join("\n"));
    const manifest = await openManifest(fleet.path, { env: {} });
    await expect(
      manifest.register(imageInput({ lineage: "web", parent: { record: fleet.base3.id } })),
    ).rejects.toMatchObject({
      code: "manifest-chain-broken",
      message: expect.stringContaining("line 9 was edited"),
    });
    writeFileSync(fleet.path, original);
    const shown = runCompiled(["show", "web#1", "--json"], { cwd: fleet.dir });
    expect(shown.stderr).toBe("");
    expect(JSON.parse(shown.stdout)).toMatchObject({ intact: true });
    const promoted = runCompiled(["promote", "web#1", "prod"], { cwd: fleet.dir });
    expect(promoted.code, promoted.stderr).toBe(0);
    writeFileSync(join(fleet.dir, "recipe.yaml"), RECIPE);
    const built = runCompiled(["build", "recipe.yaml"], { cwd: fleet.dir });
    expect(built.code, built.stderr).toBe(0);
    const next = await (await openManifest(fleet.path, { env: {} })).register(
      imageInput({ lineage: "web", parent: { record: fleet.base3.id } }),
    );
    expect(next.build).toBe(4);
  });
});
