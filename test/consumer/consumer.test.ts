import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../helpers/compiled-cli.js";
import { installInto, packTarball, repo, repoVersion } from "../helpers/packed.mjs";

const run = promisify(execFile);
const tsc = join(repo, "node_modules/typescript/bin/tsc");
const OLDEST_TS = "typescript-5.0";
// Only PATH and HOME, as a new user's shell would have: no NODE_PATH or NODE_OPTIONS reaching into the repository.
const cleanEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
// Until `BakeError["code"]` is a union of the codes, any string compiles, misspelt or not.
const codesAreAUnion = !/readonly code: string;/.test(readFileSync(join(repo, "src/errors.ts"), "utf8"));

let work: string;
let project: string;
let packed: { tarball: string; files: string[] };

// Compiles the consumer (test/consumer/project) against the installed tarball, with the repository's tsc.
function compile(dir: string, compiler = tsc) {
  return run(process.execPath, [compiler, "-p", join(dir, "tsconfig.json")], { cwd: dir, env: cleanEnv });
}

let ran: Promise<Record<string, unknown>> | undefined;
// One compile and run of the consumer, shared by the tests that look at what it printed.
function consumerOutput(): Promise<Record<string, unknown>> {
  ran ??= (async () => {
    await compile(project);
    const { stdout } = await run(process.execPath, ["out/main.js"], { cwd: project, env: cleanEnv });
    return JSON.parse(stdout) as Record<string, unknown>;
  })();
  return ran;
}

beforeAll(async () => {
  await ensureBuilt();
  work = await mkdtemp(join(tmpdir(), "bake-consumer-"));
  packed = packTarball(join(work, "pack"));
  project = join(work, "project");
  await cp(join(repo, "test/consumer/project"), project, {
    recursive: true,
    filter: (source) => !/\/(node_modules|out)(\/|$)/.test(source),
  });
  installInto(project, {
    "@bakehq/bake": `file:${packed.tarball}`,
    "@types/node": repoVersion("@types/node"),
    // The oldest TypeScript the README promises.
    [OLDEST_TS]: "npm:typescript@5.0.4",
  });
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the package as npm packs it", () => {
  it("holds the built library, its types, the schemas, the templates, the README and the LICENSE, and no sources or tests", () => {
    for (const file of [
      "LICENSE",
      "README.md",
      "package.json",
      "bin/bake.js",
      "dist/index.js",
      "dist/index.d.ts",
      "schemas/recipe.schema.json",
      "templates/base/recipe.yaml",
    ]) {
      expect(packed.files).toContain(file);
    }
    for (const entry of ["recipe", "plan", "manifest", "run"]) {
      expect(packed.files).toContain(`dist/${entry}/index.js`);
      expect(packed.files).toContain(`dist/${entry}/index.d.ts`);
    }
    expect(packed.files.filter((file) => /^(src|test|bench|scripts|\.ci)\//.test(file))).toEqual([]);
  });

  it("declares no script that npm runs when a user installs it, and the Google client as an optional peer", async () => {
    const manifest = JSON.parse(
      await readFile(join(project, "node_modules/@bakehq/bake/package.json"), "utf8"),
    ) as {
      scripts: Record<string, string>;
      license: string;
      engines: { node: string };
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
      expect(manifest.scripts[hook]).toBeUndefined();
    }
    expect(manifest.license).toBe("Apache-2.0");
    expect(manifest.engines.node).toBe(">=20.5.0");
    expect(await readFile(join(project, "node_modules/@bakehq/bake/LICENSE"), "utf8")).toContain(
      "Apache License\n                           Version 2.0",
    );
    expect(manifest.peerDependencies["@google-cloud/compute"]).toMatch(/^\^6\./);
    expect(manifest.peerDependenciesMeta["@google-cloud/compute"]?.optional).toBe(true);
    expect(Object.keys(manifest.dependencies).filter((name) => /google/.test(name))).toEqual([]);
  });

  it("installs without the Google client, which a plain install leaves out", async () => {
    const probe = await run(
      process.execPath,
      [
        "-e",
        'try { require.resolve("@google-cloud/compute"); console.log("found") } catch { console.log("missing") }',
      ],
      { cwd: project, env: cleanEnv },
    );
    expect(probe.stdout.trim()).toBe("missing");
  });

  it("takes under 30 MB of node_modules without the Google client", async () => {
    const { stdout } = await run("du", ["-sk", "--exclude=./@types", `--exclude=./${OLDEST_TS}`, "."], {
      cwd: join(project, "node_modules"),
    });
    const megabytes = Number(stdout.split("\t")[0]) / 1024;
    expect(megabytes).toBeGreaterThan(1);
    expect(megabytes).toBeLessThanOrEqual(30);
  });

  it("passes publint --strict", async () => {
    const { stdout } = await run(join(repo, "node_modules/.bin/publint"), [
      "run",
      packed.tarball,
      "--strict",
    ]);
    expect(stdout).toContain("All good!");
  });

  // esm-only: the package is ESM by design, so the two CommonJS-era resolutions are left out. node10 predates
  // `exports` (it cannot see subpath entry points at all), and node16-from-CJS flags `require()` of ESM, which
  // Node allows from 20.19 and 22.12 on (the README says so); the next test requires the package from CommonJS.
  it("passes are-the-types-wrong with the esm-only profile", async () => {
    // attw exits non-zero for any problem the profile counts; the run rejects then.
    const { stdout } = await run(join(repo, "node_modules/.bin/attw"), [
      packed.tarball,
      "--profile",
      "esm-only",
      "--format",
      "json",
    ]);
    const { analysis } = JSON.parse(stdout) as {
      analysis: { entrypoints: Record<string, unknown>; problems: { resolutionKind?: string }[] };
    };
    expect(Object.keys(analysis.entrypoints)).toEqual(
      expect.arrayContaining([".", "./recipe", "./plan", "./manifest", "./run"]),
    );
    expect(
      analysis.problems.filter((p) => !["node10", "node16-cjs"].includes(p.resolutionKind ?? "")),
    ).toEqual([]);
  });

  it("can be required from CommonJS on this Node (20.19+ and 22.12+ load ES modules from require())", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        "-e",
        'const bake = require("@bakehq/bake"); const plan = require("@bakehq/bake/plan"); console.log(typeof bake.loadRecipe, bake.compile === plan.compile)',
      ],
      { cwd: project, env: cleanEnv },
    );
    expect(stdout.trim()).toBe("function true");
    expect(stderr).toBe("");
  });
});

describe("a strict TypeScript project that depends on the package", () => {
  it("compiles with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess and NodeNext, and runs every entry point", async () => {
    const tsconfig = JSON.parse(await readFile(join(project, "tsconfig.json"), "utf8")) as {
      compilerOptions: Record<string, unknown>;
    };
    expect(tsconfig.compilerOptions).toMatchObject({
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      skipLibCheck: false,
    });
    const output = await consumerOutput();
    expect(output).toMatchObject({
      validated: true,
      badCode: "missing-key",
      badRendered: true,
      planLineage: "consumer",
      planSecrets: ["token"],
      samePlanBytes: true,
      rootIsSame: true,
      exitCodeBadInput: 2,
      manifestRecords: 0,
      fsckOk: true,
      unknownDriver: "unknown-driver",
      everyCodeListed: true,
    });
    expect(output.reporterLines).toBeGreaterThan(0);
  }, 180_000);

  it("compiles with TypeScript 5.0, the oldest the README promises", async () => {
    await consumerOutput();
    await compile(project, join(project, "node_modules", OLDEST_TS, "bin/tsc"));
  }, 180_000);

  it("gets a BakeError saying exactly what to install when it builds with the gce driver and no Google client", async () => {
    const { gceError } = await consumerOutput();
    expect(gceError).toEqual({
      code: "gce-client-missing",
      message:
        "the gce driver needs @google-cloud/compute, which is not installed: npm install @google-cloud/compute@6",
      reaction: "build",
      exitCode: 2,
    });
  }, 180_000);

  it("runs the installed bake command, which also says what to install for a gce build", async () => {
    await writeFile(
      join(project, "cloud.yaml"),
      [
        "apiVersion: bake/v1",
        "name: cloud",
        "from: gce:projects/debian-cloud/global/images/family/debian-12",
        "target: { driver: gce, project: my-project, zone: europe-west1-b }",
        "layers:",
        "  - name: one",
        "    steps:",
        "      - run: echo hi",
        "",
      ].join("\n"),
    );
    const bake = join(project, "node_modules/.bin/bake");
    expect((await run(bake, ["--version"], { cwd: project, env: cleanEnv })).stdout).toMatch(
      /^bake \d+\.\d+\.\d+/,
    );
    const failed = await run(bake, ["build", "cloud.yaml"], {
      cwd: project,
      env: { ...cleanEnv, CI: "true" },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("npm install @google-cloud/compute@6");
    expect(failed?.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it.runIf(codesAreAUnion)(
    "refuses a misspelt error code at compile time",
    async () => {
      const misspelt = join(work, "misspelt");
      await mkdir(misspelt);
      await cp(join(project, "src"), join(misspelt, "src"), { recursive: true });
      await cp(join(project, "tsconfig.json"), join(misspelt, "tsconfig.json"));
      await cp(join(project, "package.json"), join(misspelt, "package.json"));
      await symlink(join(project, "node_modules"), join(misspelt, "node_modules"));
      const codes = await readFile(join(misspelt, "src/codes.ts"), "utf8");
      expect(codes).toContain('"recipe-invalid",');
      await writeFile(
        join(misspelt, "src/codes.ts"),
        codes.replace('"recipe-invalid",', '"recipe-invlaid",'),
      );
      const failed = await compile(misspelt).then(
        () => undefined,
        (error: { stdout: string }) => error.stdout,
      );
      expect(failed).toMatch(/src\/codes\.ts\(\d+,\d+\): error TS\d+: .*recipe-invlaid/);
    },
    180_000,
  );
});
