#!/usr/bin/env node
// Benchmark: bake as a library, installed from the packed tarball into a scratch project as a user installs it.
// Times a cold `import()` of each entry point against a cold `node -e 0` in the same run (interleaved, median of
// --runs), and measures the install footprint without the optional Google client. Run `npm run build` first.
// Usage: node bench/library/run.mjs [--runs 30] [--keep]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { installInto, packTarball } from "../../test/helpers/packed.mjs";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "30" }, keep: { type: "boolean", default: false } },
});
const RUNS = Number(values.runs);
const NAME = "@bakehq/bake";
const GOALS = { [`${NAME}/plan`]: 1.2, [NAME]: 1.5 };
const FOOTPRINT_GOAL_MB = 30;

const work = mkdtempSync(path.join(tmpdir(), "bake-bench-library-"));
const project = path.join(work, "project");
const { tarball } = packTarball(path.join(work, "pack"));
installInto(project, { [NAME]: `file:${tarball}` });

// Each case prints the CPU time its process used (user + system, start-up included) once the import is done, so
// a slow import can be told from a busy machine (this one is shared): wall time waits for a CPU, CPU time does not.
const report = "() => { const u = process.cpuUsage(); process.stdout.write(String(u.user + u.system)); }";
const cases = {
  "node -e 0": ["-e", `Promise.resolve().then(${report})`],
  ...Object.fromEntries(
    [NAME, `${NAME}/plan`, `${NAME}/recipe`, `${NAME}/manifest`, `${NAME}/run`].map((entry) => [
      `import("${entry}")`,
      ["-e", `import(${JSON.stringify(entry)}).then(${report})`],
    ]),
  ),
};
// Interleaved, so a change of load slows every case alike; the median of each.
const wall = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
const cpu = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, args] of Object.entries(cases)) {
    const started = process.hrtime.bigint();
    const env = { PATH: process.env.PATH };
    const result = spawnSync(process.execPath, args, { cwd: project, env, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
    wall[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    cpu[name].push(Number(result.stdout) / 1e3);
  }
}
const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];

// Bytes on disk (du) and the files' own sizes, for node_modules of a project that depends only on bake.
const modules = path.join(project, "node_modules");
const diskKb = Number(execFileSync("du", ["-sk", modules], { encoding: "utf8" }).split("\t")[0]);
let apparent = 0;
for (const entry of readdirSync(modules, { recursive: true, withFileTypes: true })) {
  if (entry.isFile()) apparent += statSync(path.join(entry.parentPath, entry.name)).size;
}
const google = readdirSync(modules).filter((name) => /google/.test(name));
const diskMb = diskKb / 1024;

console.log(
  `bake as a library: ${RUNS} interleaved cold runs each, median, load average ${loadavg()[0].toFixed(1)}`,
);
console.log(
  `${"case".padEnd(32)} ${"wall ms".padStart(8)} ${"ratio".padStart(6)} ${"CPU ms".padStart(8)} ${"ratio".padStart(6)}  goal`,
);
const bareWall = median(wall["node -e 0"]);
const bareCpu = median(cpu["node -e 0"]);
for (const name of Object.keys(cases)) {
  const entry = name.match(/^import\("(.*)"\)$/)?.[1];
  const goal = entry === undefined ? undefined : GOALS[entry];
  const wallRatio = median(wall[name]) / bareWall;
  const cpuRatio = median(cpu[name]) / bareCpu;
  const verdict =
    goal === undefined
      ? ""
      : `<= ${goal}x: wall ${wallRatio <= goal ? "met" : "MISSED"}, CPU ${cpuRatio <= goal ? "met" : "MISSED"}`;
  console.log(
    `${name.padEnd(32)} ${median(wall[name]).toFixed(1).padStart(8)} ${`${wallRatio.toFixed(2)}x`.padStart(6)} ` +
      `${median(cpu[name]).toFixed(1).padStart(8)} ${`${cpuRatio.toFixed(2)}x`.padStart(6)}  ${verdict}`,
  );
}
console.log(
  `install footprint without the Google client: ${diskMb.toFixed(1)} MB on disk (${(apparent / 2 ** 20).toFixed(1)} MB of files), ` +
    `goal <= ${FOOTPRINT_GOAL_MB} MB ${diskMb <= FOOTPRINT_GOAL_MB ? "met" : "MISSED"}; google packages installed: ${google.length === 0 ? "none" : google.join(", ")}`,
);

if (values.keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
