#!/usr/bin/env node
// bench/startup: what bake costs before it does anything, against Node's own floor (`node -e 0`) and a Go CLI
// (`packer version`), in one run. Hyperfine-style: warm-up rounds first, then N rounds; each round runs every
// command once, in an order that rotates from round to round, so drift in the machine's load hits all alike.
// Medians, each median's ratio to `node -e 0`'s, and what each command adds to it (paired by round, in ms).
// Commands: bake --version, --help, validate (examples/app), history on a 1k-record manifest, and a no-change
// build for each kind of base: dir:, oci-archive: and a lineage parent.
// Goals: --version <= 1.2x node and below packer version; validate <= 1.3x; each no-change build <= 1.5x.
// Environments: `clean` runs every command with PATH and HOME only; `inherit` in the caller's environment, as a
// user's shell would (NODE_EXTRA_CA_CERTS, set on many CI machines, alone makes every Node process start some 50 ms
// later, `node -e 0` included, and no Go one). `both` (the default) measures each, one after the other.
// Usage: npm run build && node bench/startup/run.mjs [--runs 20] [--warmup 3] [--env both|clean|inherit]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildManifest } from "../manifest/make-manifest.mjs";
import { buildProject, RECIPES, writeProject } from "./project.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bakeBin = join(repo, "bin/bake.js");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
    env: { type: "string", default: "both" },
  },
});
const runs = Math.max(1, Number(values.runs));
const warmup = Math.max(0, Number(values.warmup));

if (!existsSync(join(repo, "dist/cli-bundle/bake.cjs"))) {
  console.error("the CLI bundle is missing: run `npm run build` first");
  process.exit(2);
}
const hasPacker = spawnSync("packer", ["version"], { stdio: "ignore" }).status === 0;

const environments = values.env === "both" ? ["clean", "inherit"] : [values.env];
if (!environments.every((name) => name === "clean" || name === "inherit")) {
  console.error(`--env: expected both, clean or inherit, got ${values.env}`);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), "bake-bench-startup-"));
const envFor = (name) => ({
  ...(name === "inherit" ? process.env : { PATH: process.env.PATH, HOME: process.env.HOME }),
  CI: "1",
  NO_COLOR: "1",
  CHECKPOINT_DISABLE: "1",
  // The bench's own code cache (bin/load-bundle.js): empty at the start, filled by the first runs, as a user's is.
  BAKE_CODE_CACHE: join(work, "code-cache"),
});
/** What in the caller's environment changes how fast Node starts. */
const nodeVariables = Object.keys(process.env).filter((name) => /^NODE_/.test(name));
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  writeProject(work);
  buildProject((args) =>
    execFileSync(process.execPath, [bakeBin, ...args], { cwd: work, env: envFor("clean"), stdio: "ignore" }),
  );
  buildManifest(join(work, "history.jsonl"), 1000);

  const bake = (...args) => [process.execPath, bakeBin, ...args];
  const cases = [
    { name: "node -e 0", argv: [process.execPath, "-e", "0"] },
    ...(hasPacker ? [{ name: "packer version", argv: ["packer", "version"] }] : []),
    { name: "bake --version", argv: bake("--version"), goal: { node: 1.2, belowPacker: true } },
    { name: "bake --help", argv: bake("--help") },
    {
      name: "bake validate",
      argv: bake("validate", join(repo, "examples/app/recipe.yaml")),
      goal: { node: 1.3 },
    },
    {
      name: "bake validate, no code cache",
      argv: bake("validate", join(repo, "examples/app/recipe.yaml")),
      env: { BAKE_CODE_CACHE: "off" },
    },
    { name: "bake history (1k records)", argv: bake("history", "--manifest", "history.jsonl") },
    { name: "bake build, no change (dir:)", argv: bake("build", RECIPES.dir), goal: { node: 1.5 } },
    {
      name: "bake build, no change (oci-archive:)",
      argv: bake("build", RECIPES.archive),
      goal: { node: 1.5 },
    },
    { name: "bake build, no change (lineage)", argv: bake("build", RECIPES.lineage), goal: { node: 1.5 } },
  ];
  for (const name of environments) measure(name, cases, envFor(name));
} finally {
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}

function measure(name, cases, env) {
  const times = new Map(cases.map((c) => [c.name, []]));
  const cpu = new Map(cases.map((c) => [c.name, 0]));
  const loadBefore = loadAverage();
  for (let round = 0; round < warmup + runs; round++) {
    const order = cases.map((_, index) => cases[(index + round) % cases.length]);
    for (const entry of order) {
      const before = childCpuMs();
      const ms = timed(entry.argv, { ...env, ...entry.env });
      if (round >= warmup) {
        times.get(entry.name).push(ms);
        cpu.set(entry.name, cpu.get(entry.name) + childCpuMs() - before);
      }
    }
  }
  const loadAfter = loadAverage();

  const median = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const nodeMs = median(times.get("node -e 0"));
  const nodeCpu = cpu.get("node -e 0") / runs;
  const packerMs = hasPacker ? median(times.get("packer version")) : undefined;
  const nodeTimes = times.get("node -e 0");
  const table = cases.map((entry) => {
    const ms = median(times.get(entry.name));
    const ratio = ms / nodeMs;
    // What the command adds to Node's own start-up, round by round: the two ran next to each other, so drift in the
    // machine's load (which moves both) cancels. Unlike the ratio, it hardly depends on how slowly Node starts.
    const added = median(times.get(entry.name).map((each, round) => each - nodeTimes[round]));
    return {
      command: entry.name,
      "median (ms)": ms.toFixed(1),
      "min (ms)": Math.min(...times.get(entry.name)).toFixed(1),
      "+ms (paired)": added.toFixed(1),
      "x node": ratio.toFixed(2),
      "CPU (ms)": (cpu.get(entry.name) / runs).toFixed(0),
      "CPU x node": (cpu.get(entry.name) / runs / nodeCpu).toFixed(2),
      goal: entry.goal ? verdict(entry.goal, { ratio, ms, packerMs }) : "",
    };
  });
  const described =
    name === "clean"
      ? "clean environment (PATH and HOME)"
      : `the caller's environment (${nodeVariables.length > 0 ? nodeVariables.join(", ") : "no NODE_ variables"})`;
  console.log(
    `bench/startup: ${runs} rounds after ${warmup} warm-up, medians; ${described}; node ${process.version}${hasPacker ? "" : " (packer not found: its row and goal skipped)"}`,
  );
  console.table(table);
  console.log(`load average: ${loadBefore} before, ${loadAfter} after (${process.platform}, 1/5/15 min)`);
  console.log(
    "goals are judged on wall-time medians; +ms is the median, over rounds, of the run's time less node -e 0's in the same round; CPU is the mean user+system time per run (steadier on a busy machine)",
  );
}

function verdict(goal, { ratio, ms, packerMs }) {
  const parts = [`<= ${goal.node}x node: ${ratio <= goal.node ? "met" : "missed"}`];
  if (goal.belowPacker && packerMs !== undefined)
    parts.push(`< packer version: ${ms < packerMs ? "met" : "missed"}`);
  return parts.join("; ");
}

// CPU milliseconds (user + system) of every waited-for child so far, from /proc/self/stat (10 ms clock ticks: the
// total over all rounds is exact to a tick, so the mean per run is close).
function childCpuMs() {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

// Wall milliseconds of one run; a failure stops the bench (a no-change build that builds would time something else).
function timed([command, ...args], env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: work,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  return ms;
}
