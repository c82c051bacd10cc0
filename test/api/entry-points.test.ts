import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, repo } from "../helpers/compiled-cli.js";

const recorder = join(repo, "test/fixtures/load-recorder/register.mjs");
let work: string;

beforeAll(async () => {
  await ensureBuilt();
  work = await mkdtemp(join(tmpdir(), "bake-entry-"));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every module a fresh Node loads to import `entry` from dist/: ES modules (by URL) and CommonJS files. */
async function modulesLoadedBy(entry: string): Promise<string[]> {
  const log = join(work, `${entry.replaceAll("/", "-")}.log`);
  const url = pathToFileURL(join(repo, "dist", entry)).href;
  const script = [
    `await import(${JSON.stringify(url)});`,
    'const { createRequire } = await import("node:module");',
    "console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));",
  ].join("\n");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", recorder, "--input-type=module", "-e", script],
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BAKE_LOAD_LOG: log } },
  );
  const esm = (await readFile(log, "utf8")).split("\n").filter((line) => line !== "");
  return [...esm, ...(JSON.parse(stdout) as string[])];
}

// What a program that only compiles, or only reads a manifest, should never pay for.
const HEAVY = [
  /\/node_modules\/(execa|@google-cloud|google-gax|google-auth-library|pg|listr2|@cyclonedx|ajv)\//,
];
const matching = (modules: string[], patterns: RegExp[]) =>
  modules.filter((module) => patterns.some((pattern) => pattern.test(module)));

describe("what importing each entry point loads", () => {
  it("the plan entry loads no dependency, no file-system module and no child process", async () => {
    const modules = await modulesLoadedBy("plan/index.js");
    expect(modules).toContain(pathToFileURL(join(repo, "dist/plan/compile.js")).href);
    expect(matching(modules, [/\/node_modules\//, /^node:(fs|fs\/promises|child_process)$/])).toEqual([]);
  });

  it("the package root loads none of the heavy dependencies, nor the YAML parser or the recipe validator", async () => {
    const modules = await modulesLoadedBy("index.js");
    expect(modules).toContain(pathToFileURL(join(repo, "dist/plan/compile.js")).href);
    expect(
      matching(modules, [
        ...HEAVY,
        /\/dist\/recipe\/(yaml|load|parse)\.js$/,
        /\/dist\/recipe\/schema\//,
        /^node:child_process$/,
      ]),
    ).toEqual([]);
  });

  it("the recipe entry loads its validator but nothing that starts processes or talks to a cloud", async () => {
    const modules = await modulesLoadedBy("recipe/index.js");
    expect(modules).toContain(pathToFileURL(join(repo, "dist/recipe/load.js")).href);
    expect(matching(modules, [...HEAVY, /^node:child_process$/])).toEqual([]);
  });

  it("the manifest entry loads no reader, store client or validator until a function is called", async () => {
    const modules = await modulesLoadedBy("manifest/index.js");
    expect(matching(modules, [...HEAVY, /\/dist\/manifest\/(manifest-file|store\/.*)\.js$/])).toEqual([]);
  });

  it("the run entry loads no driver, execa, Google client or listr2 until a build starts", async () => {
    const modules = await modulesLoadedBy("run/index.js");
    expect(
      matching(modules, [...HEAVY, /\/dist\/drivers\/(local|packer|gce)\//, /^node:child_process$/]),
    ).toEqual([]);
  });
});
