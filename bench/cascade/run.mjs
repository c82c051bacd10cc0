#!/usr/bin/env node
// bench/cascade: one base and six apps on the local driver, with the base changed, so all seven rebuild.
// Times `bake build DIR` (one process, a tree build, default --jobs) against the same builds run as sequential
// `bake build RECIPE` processes in dependency order, from identical copies of the same project, in one run.
// Each app layer writes a few hundred files and waits half a second, as a package download would.
// Goal: the tree build takes at most 0.6x the sequential wall time on a 2-core machine.
// Usage: npm run build && node bench/cascade/run.mjs [--runs N]
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bakeBin = join(repo, "bin/bake.js");
const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Math.max(1, Number(values.runs));
if (!existsSync(join(repo, "dist/cli/main.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}

const APPS = ["api", "web", "worker", "cron", "admin", "search"];

function recipe(name, from, script) {
  return [
    "apiVersion: bake/v1",
    `name: ${name}`,
    'version: "1.0.0"',
    `from: ${from}`,
    "target: { driver: local, network: none }",
    "layers:",
    "  - name: main",
    "    steps:",
    `      - run: ${JSON.stringify(script)}`,
    "verify:",
    `  - run: test -f /opt/${name}/done`,
    "",
  ].join("\n");
}

function writeProject(dir, baseRevision) {
  const write = (path, text) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write(
    "images/base/recipe.yaml",
    recipe(
      "base",
      "host",
      `mkdir -p /opt/base && echo ${baseRevision} > /opt/base/rev && touch /opt/base/done`,
    ),
  );
  for (const app of APPS) {
    write(
      `images/${app}/recipe.yaml`,
      recipe(
        app,
        "base",
        `mkdir -p /opt/${app} && for i in $(seq 1 300); do echo $i > /opt/${app}/f$i; done && sleep 0.5 && touch /opt/${app}/done`,
      ),
    );
  }
}

function bake(cwd, args) {
  execFileSync(process.execPath, [bakeBin, ...args], {
    cwd,
    stdio: "ignore",
    env: { ...process.env, CI: "true" },
  });
}

function timed(action) {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const work = mkdtempSync(join(tmpdir(), "bake-bench-cascade-"));
try {
  const seed = join(work, "seed");
  writeProject(seed, "r1");
  bake(seed, ["build", "images"]);
  // The base changes: every image of the tree is stale.
  writeProject(seed, "r2");
  const tree = [];
  const sequential = [];
  for (let run = 1; run <= runs; run++) {
    const a = join(work, `tree-${run}`);
    const b = join(work, `seq-${run}`);
    cpSync(seed, a, { recursive: true });
    cpSync(seed, b, { recursive: true });
    // Alternate which goes first, so neither always runs on a warmer page cache.
    const runTree = () => tree.push(timed(() => bake(a, ["build", "images"])));
    const runSequential = () =>
      sequential.push(
        timed(() => {
          for (const name of ["base", ...APPS]) bake(b, ["build", `images/${name}/recipe.yaml`]);
        }),
      );
    if (run % 2 === 1) {
      runTree();
      runSequential();
    } else {
      runSequential();
      runTree();
    }
    console.log(
      `run ${run}: tree ${tree.at(-1).toFixed(0)} ms, sequential ${sequential.at(-1).toFixed(0)} ms`,
    );
  }
  const ratio = median(tree) / median(sequential);
  console.log(
    `cascade (base + ${APPS.length} apps, base changed), median of ${runs}: bake build DIR ${median(tree).toFixed(0)} ms, sequential bake build RECIPE x${APPS.length + 1} ${median(sequential).toFixed(0)} ms -> ${ratio.toFixed(2)}x (goal <= 0.6x)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
