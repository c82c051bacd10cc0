import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, repo } from "../helpers/compiled-cli.js";

// bin/load-bundle.js keeps V8's compiled code between runs for the CLI bundle's chunks and the CommonJS packages
// they require. Each test runs bake from its own copy of the installed package, so it can rewrite a chunk without
// touching the repository's dist/.

const recipe = join(repo, "examples/app/recipe.yaml");

function install(): string {
  const root = mkdtempSync(join(tmpdir(), "bake-code-cache-"));
  for (const part of ["bin", "dist/cli-bundle", "schemas", "templates", "package.json"])
    cpSync(join(repo, part), join(root, part), { recursive: true });
  symlinkSync(join(repo, "node_modules"), join(root, "node_modules"));
  return root;
}

function validate(root: string, cache: string): { code: number | null; stdout: string; stderr: string } {
  return bake(root, cache, ["validate", recipe]);
}

function bake(
  root: string,
  cache: string,
  args: string[],
): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(root, "bin/bake.js"), ...args], {
    env: { PATH: process.env.PATH, HOME: root, NO_COLOR: "1", BAKE_CODE_CACHE: cache },
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The one directory bake made under `cache`, and its entries (beside them, `origin` names the bundle it serves). */
function entries(cache: string): { dir: string; names: string[] } {
  const [sub, ...more] = readdirSync(cache);
  expect(more).toEqual([]);
  const dir = join(cache, sub as string);
  return {
    dir,
    names: readdirSync(dir)
      .filter((name) => name !== "origin")
      .sort(),
  };
}

/**
 * The file an entry is for, as load-bundle.js names it: "<hash of its directory>-<file name>@<command>~<stat fields>".
 */
const fileOf = (entry: string) => entry.slice(entry.indexOf("-") + 1, entry.lastIndexOf("@"));
/** The command an entry was written for. */
const commandOf = (entry: string) => entry.slice(entry.lastIndexOf("@") + 1, entry.lastIndexOf("~"));

const validateChunk = (root: string) =>
  readdirSync(join(root, "dist/cli-bundle")).find((name) => /^validate-.*\.cjs$/.test(name)) as string;

describe("the CLI's code cache", () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  it("keeps the compiled code of the chunks a command ran, in a directory only its user can open, and reuses it", () => {
    const root = install();
    const cache = join(root, "cache");
    const first = validate(root, cache);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^ok: .*\(2 layers, 3 checks\)$/m);
    const { dir, names } = entries(cache);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, "origin"), "utf8")).toBe(join(root, "dist/cli-bundle"));
    const files = names.map(fileOf);
    expect(files).toContain("bake.cjs");
    expect(files).toContain(validateChunk(root));
    // Every entry is for one of the bundle's files: re2js, which the pattern variable's check needs, travels in
    // the bundle.
    const chunks = new Set(readdirSync(join(root, "dist/cli-bundle")));
    expect(files.filter((file) => !chunks.has(file))).toEqual([]);
    // Commands this run never used have no entry.
    expect(files.some((file) => /^(build|rollout|fleet)-/.test(file))).toBe(false);

    expect(new Set(names.map(commandOf))).toEqual(new Set(["validate"]));
    const written = names.map((name) => statSync(join(dir, name)).mtimeMs);

    const second = validate(root, cache);
    expect(second).toEqual(first);
    // Accepted entries are read, not written again.
    expect(entries(cache).names).toEqual(names);
    expect(names.map((name) => statSync(join(dir, name)).mtimeMs)).toEqual(written);

    // Another command has entries of its own, even for the files it shares with validate: an entry holds the code
    // of what ran, and validate's would not hold what `help` runs of the entry.
    expect(bake(root, cache, ["help"]).code).toBe(0);
    const after = entries(cache).names;
    expect(after.filter((name) => commandOf(name) === "validate")).toEqual(names);
    expect(after.filter((name) => commandOf(name) === "help").map(fileOf)).toContain("bake.cjs");
  });

  it("keeps the compiled code of the CommonJS packages the bundle requires at run time (pg for a PostgreSQL store)", () => {
    const root = install();
    const cache = join(root, "cache");
    // Port 1 refuses the connection, after pg has loaded.
    const run = bake(root, cache, ["history", "--manifest", "postgres://bake@127.0.0.1:1/none"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot reach the lineage store/);
    const files = entries(cache).names.map(fileOf);
    for (const file of ["client.js", "connection.js", "query.js"]) expect(files).toContain(file);
  });

  it("compiles a chunk afresh when it is rewritten in place, even at the same size with its mtime set back", () => {
    const root = install();
    const cache = join(root, "cache");
    expect(validate(root, cache).stdout).toMatch(/\(2 layers, 3 checks\)/);
    const chunk = join(root, "dist/cli-bundle", validateChunk(root));
    const before = statSync(chunk, { bigint: true });
    // A copy keeps the chunk's times to the nanosecond, for `touch -r` to set them back.
    const times = join(root, "times");
    expect(spawnSync("cp", ["-p", chunk, times]).status).toBe(0);
    const text = readFileSync(chunk, "utf8");
    expect(text).toContain('"layers"');
    // V8 itself would take the old code for this chunk: it checks only the source's length.
    writeFileSync(chunk, text.replace('"layers"', '"LAYERS"'));
    expect(spawnSync("touch", ["-r", times, chunk]).status).toBe(0);
    const after = statSync(chunk, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);

    const run = validate(root, cache);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\(2 LAYERS, 3 checks\)/);
    // The rewritten chunk's old entry is pruned; one entry per file remains.
    const files = entries(cache).names.map(fileOf);
    expect(files).toContain(validateChunk(root));
    expect(new Set(files).size).toBe(files.length);
  });

  it("compiles afresh and writes again the entries V8 rejects", () => {
    const root = install();
    const cache = join(root, "cache");
    const first = validate(root, cache);
    const { dir, names } = entries(cache);
    for (const name of names)
      writeFileSync(join(dir, name), Buffer.alloc(statSync(join(dir, name)).size, 0x5a));

    expect(validate(root, cache)).toEqual(first);
    const garbage = (name: string) => readFileSync(join(dir, name)).every((byte) => byte === 0x5a);
    expect(entries(cache).names.filter(garbage)).toEqual([]);
  });

  it("uses no cache directory that other users can write to, and none when turned off", () => {
    const root = install();
    const cache = join(root, "cache");
    const first = validate(root, cache);
    const { dir } = entries(cache);
    const fresh = join(root, "fresh");
    mkdirSync(join(fresh, dir.slice(cache.length + 1)), { recursive: true });
    chmodSync(join(fresh, dir.slice(cache.length + 1)), 0o777);
    expect(validate(root, fresh)).toEqual(first);
    expect(entries(fresh).names).toEqual([]);

    const off = validate(root, "off");
    expect(off).toEqual(first);
    expect(readdirSync(root)).not.toContain("off");
    expect(readdirSync(root)).not.toContain(".cache");
  });

  it("removes the cache of a bundle that no longer exists when it makes one for another bundle", () => {
    const cache = mkdtempSync(join(tmpdir(), "bake-code-cache-shared-"));
    const gone = install();
    const kept = install();
    validate(gone, cache);
    validate(kept, cache);
    const [first, second] = readdirSync(cache).sort();
    expect(second).toBeDefined();
    rmSync(join(gone, "dist"), { recursive: true });
    // Something else in the cache directory is never touched.
    mkdirSync(join(cache, "not-bake"));
    const third = install();
    expect(validate(third, cache).code).toBe(0);
    const left = readdirSync(cache);
    expect(left).toHaveLength(3);
    expect(left).toContain("not-bake");
    const owner = (name: string) => readFileSync(join(cache, name, "origin"), "utf8");
    expect(
      left
        .filter((name) => name !== "not-bake")
        .map(owner)
        .sort(),
    ).toEqual([join(kept, "dist/cli-bundle"), join(third, "dist/cli-bundle")].sort());
    expect([first, second].map((name) => left.includes(name as string)).filter(Boolean)).toHaveLength(1);
  });

  it.runIf(process.getuid?.() === 0)("uses no cache directory another user owns", () => {
    const root = install();
    const cache = join(root, "cache");
    const first = validate(root, cache);
    const { dir } = entries(cache);
    const theirs = join(root, "theirs");
    const sub = join(theirs, dir.slice(cache.length + 1));
    mkdirSync(sub, { recursive: true, mode: 0o700 });
    chownSync(sub, 65534, 65534);
    expect(validate(root, theirs)).toEqual(first);
    expect(readdirSync(sub)).toEqual([]);
  });
});
