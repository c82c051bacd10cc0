import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { RACY_WINDOW_NS } from "../../src/drivers/local/base-fingerprint.js";
import { makeBusyboxRootfs } from "../drivers/local/helpers.js";
import { ensureBuilt, repo, runBake } from "../helpers/compiled-cli.js";

// What a command loads, told by a loader hook (test/helpers/record-loads.mjs) in a fresh `bin/bake.js` process, and
// mapped back to sources through the bundle's metafile (scripts/bundle-cli.mjs writes dist/cli-bundle/meta.json).
// These are functional checks of what start-up touches, not timings: bench/startup measures those.

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

const hook = join(repo, "test/helpers/record-loads.mjs");
let meta: Metafile;

async function loads(args: string[], cwd: string): Promise<{ files: string[]; sources: string[] }> {
  const record = join(mkdtempSync(join(tmpdir(), "bake-loads-")), "loads.txt");
  const run = await runBake(args, {
    cwd,
    env: { CI: "true", NO_COLOR: "1", BAKE_RECORD_LOADS: record, NODE_OPTIONS: `--import=${hook}` },
  });
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  const urls = readFileSync(record, "utf8").trim().split("\n");
  const files = urls.filter((url) => url.startsWith("file:")).map((url) => fileURLToPath(url));
  const sources = new Set<string>();
  for (const file of files) {
    const output = meta.outputs[file.slice(repo.length + 1)];
    for (const input of Object.keys(output?.inputs ?? {})) sources.add(input);
  }
  return { files, sources: [...sources] };
}

/**
 * Node modules a command should not need: node:fs/promises (which pulls in readline; src/util/fs-async.ts), and the
 * stream and net modules that making process.stdout loads (src/util/fd-out.ts).
 */
const AVOIDED_BUILTINS = ["fs/promises", "internal/readline/interface", "stream", "net", "tty"];

/** Which of {@link AVOIDED_BUILTINS} a command loads (test/helpers/record-builtins.cjs tells). */
async function avoidedBuiltins(args: string[], cwd: string): Promise<string[]> {
  const record = join(mkdtempSync(join(tmpdir(), "bake-builtins-")), "builtins.txt");
  const run = await runBake(args, {
    cwd,
    env: {
      CI: "true",
      NO_COLOR: "1",
      BAKE_RECORD_BUILTINS: record,
      NODE_OPTIONS: `--require=${join(repo, "test/helpers/record-builtins.cjs")}`,
    },
  });
  expect(run.code).toBe(0);
  const loaded = readFileSync(record, "utf8").trim().split("\n");
  // The recorder itself must have seen something: every command loads some Node module of its own.
  expect(loaded.length).toBeGreaterThan(0);
  return loaded.filter((name) => AVOIDED_BUILTINS.includes(name));
}

const fromPackage = (sources: string[], name: string) =>
  sources.filter((source) => source.startsWith(`node_modules/${name}/`));

describe("start-up loads", () => {
  beforeAll(async () => {
    await ensureBuilt();
    meta = JSON.parse(readFileSync(join(repo, "dist/cli-bundle/meta.json"), "utf8")) as Metafile;
  }, 300_000);

  it("prints --version without loading the CLI bundle or any dependency", async () => {
    const { files, sources } = await loads(["--version"], repo);
    expect(await avoidedBuiltins(["--version"], repo)).toEqual([]);
    expect(files.filter((file) => file.includes("/dist/") || file.includes("/node_modules/"))).toEqual([]);
    expect(sources).toEqual([]);
  });

  it("answers --help from the entry, the command table and the help text: no command, driver or dependency code", async () => {
    const { files, sources } = await loads(["--help"], repo);
    expect(await avoidedBuiltins(["--help"], repo)).toEqual([]);
    expect(files.filter((file) => file.includes("/node_modules/"))).toEqual([]);
    expect(sources).toContain("src/cli/help.ts");
    expect(sources.filter((source) => source.startsWith("node_modules/"))).toEqual([]);
    expect(
      sources.filter((source) => /^src\/(cli\/commands|drivers|manifest|run|plan|recipe)\//.test(source)),
    ).toEqual([]);
  });

  it("validates a well-written recipe with the fast front end and the precompiled validator, without yaml, ajv, execa or any driver", async () => {
    const recipe = join(repo, "examples/app/recipe.yaml");
    const { sources } = await loads(["validate", recipe], repo);
    expect(await avoidedBuiltins(["validate", recipe], repo)).toEqual([]);
    expect(sources).toContain("src/recipe/schema/validate.generated.ts");
    expect(sources).toContain("src/recipe/fast-yaml/parse.ts");
    expect(fromPackage(sources, "yaml")).toEqual([]);
    expect(fromPackage(sources, "ajv")).toEqual([]);
    expect(fromPackage(sources, "execa")).toEqual([]);
    expect(sources.filter((source) => /^src\/(drivers|manifest|run)\//.test(source))).toEqual([]);
  });

  it("loads yaml for a recipe outside the fast front end's subset, and validates it as before", async () => {
    const work = mkdtempSync(join(tmpdir(), "bake-loads-yaml-"));
    // An anchor and an alias: the fast front end leaves them to yaml.
    writeFileSync(
      join(work, "recipe.yaml"),
      [
        "apiVersion: bake/v1",
        "name: &name loads-yaml",
        "from: scratch",
        "layers:",
        "  - name: app",
        "    steps:",
        "      - run: echo hi",
        "labels: { lineage: *name }",
        "",
      ].join("\n"),
    );
    const { sources } = await loads(["validate", "recipe.yaml"], work);
    expect(fromPackage(sources, "yaml").length).toBeGreaterThan(0);
  });

  describe("a build with nothing to do", () => {
    const work = mkdtempSync(join(tmpdir(), "bake-loads-build-"));
    const recipe = (name: string, from: string) =>
      [
        "apiVersion: bake/v1",
        `name: ${name}`,
        'version: "1.0.0"',
        `from: ${from}`,
        "target: { driver: local, network: none }",
        "layers:",
        "  - name: app",
        "    steps:",
        `      - run: echo ${name} > /name`,
        "verify:",
        "  - name: name",
        `    file: { path: /name, contains: ${name} }`,
        "",
      ].join("\n");

    beforeAll(async () => {
      makeBusyboxRootfs(join(work, "rootfs"));
      writeFileSync(join(work, "dir.yaml"), recipe("loads-dir", "dir:./rootfs"));
      writeFileSync(join(work, "archive.yaml"), recipe("loads-archive", "oci-archive:./base.tar"));
      writeFileSync(join(work, "lineage.yaml"), recipe("loads-lineage", "loads-dir"));
      for (const args of [
        ["build", "dir.yaml"],
        ["export", "loads-dir", "-o", "base.tar"],
        ["build", "archive.yaml"],
        ["build", "lineage.yaml"],
      ]) {
        const run = await runBake(args, { cwd: work });
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
      }
      // The bases were written moments before their import: within the racy window, so the next build checks them
      // by content once more (base-fingerprint.ts). Past the window, that check's fingerprint is trusted.
      await new Promise((done) => setTimeout(done, Number(RACY_WINDOW_NS / 1_000_000n) + 200));
      for (const file of ["dir.yaml", "archive.yaml"])
        expect((await runBake(["build", file], { cwd: work })).code).toBe(0);
    }, 300_000);

    // Only inspecting (and, for a dir: or archive base, its fingerprint) is needed to know nothing changed.
    const BUILDING =
      /^src\/drivers\/local\/(bake-layer|verify|sandbox|steps|service|layer-tar|archive-import|unpack|namespace|inventory)\.ts$/;

    for (const [kind, title] of [
      ["dir", "a dir: base"],
      ["archive", "an oci-archive: base"],
      ["lineage", "a lineage parent"],
    ] as const) {
      it(`loads no building, importing or process code for ${title}`, async () => {
        const { sources } = await loads(["build", `${kind}.yaml`], work);
        // node:crypto loads Node's stream modules for its own hash objects: only those not under it are checked.
        expect(
          (await avoidedBuiltins(["build", `${kind}.yaml`], work)).filter((name) => name !== "stream"),
        ).toEqual([]);
        expect(sources).toContain("src/drivers/local/index.ts");
        expect(sources.filter((source) => BUILDING.test(source))).toEqual([]);
        expect(fromPackage(sources, "execa")).toEqual([]);
        expect(fromPackage(sources, "listr2")).toEqual([]);
        expect(sources.filter((source) => source.startsWith("src/drivers/packer/"))).toEqual([]);
      }, 120_000);
    }
  });
});
