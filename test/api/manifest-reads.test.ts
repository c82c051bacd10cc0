import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { ensureBuilt, repo } from "../helpers/compiled-cli.js";
import { buildFleet } from "../manifest/helpers.js";

// The regression tests of issue 14's manifest defects, run as a program using the built package would: a separate
// Node process importing dist/, so they hold for what ships, not only for the sources under test.
const entry = pathToFileURL(join(repo, "dist/index.js")).href;

async function program(source: string): Promise<Record<string, unknown>> {
  const script = `const bake = await import(${JSON.stringify(entry)});\n${source}`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

beforeAll(ensureBuilt, 300_000);

describe("a program reading a manifest through the built package", () => {
  it("cannot change a record by assigning to it: get() and history() still give what the manifest says", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "bake-api-")), "bake.lineage.jsonl");
    const { web2 } = await buildFleet(await openManifest(path, { create: true, env: {} }));
    const result = await program(`
      const manifest = await bake.openManifest(${JSON.stringify(path)});
      const record = manifest.get(${JSON.stringify(web2.id)});
      let threw = "";
      try { record.version = "x"; } catch (error) { threw = error.constructor.name; }
      const listed = manifest.history({ lineage: "web" })[0].entries.find((entry) => entry.id === record.id);
      console.log(JSON.stringify({ threw, get: manifest.get(record.id).version, history: listed.version }));
    `);
    expect(result).toEqual({ threw: "TypeError", get: "2.1.0", history: "2.1.0" });
  });

  it("gets a manifest-missing BakeError for a missing path, not an empty lineage", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "bake-api-")), "typo.lineage.jsonl");
    const result = await program(`
      let outcome;
      try {
        const manifest = await bake.openManifest(${JSON.stringify(path)});
        outcome = { records: manifest.records().length };
      } catch (error) {
        outcome = { code: error.code, message: error.message, bakeError: error instanceof bake.BakeError };
      }
      const empty = await bake.openManifest(${JSON.stringify(path)}, { mustExist: false });
      console.log(JSON.stringify({ ...outcome, emptyWhenAllowed: empty.records().length }));
    `);
    expect(result).toEqual({
      code: "manifest-missing",
      message: `there is no manifest at ${path}`,
      bakeError: true,
      emptyWhenAllowed: 0,
    });
  });
});
