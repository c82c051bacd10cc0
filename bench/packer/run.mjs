#!/usr/bin/env node
// bench/packer: the cost bake adds around Packer. In the same run, on the same offline busybox base:
//   bake:  `bake build recipe.yaml --target packer --no-cache --no-inventory` (resolve, two layer builds, verify,
//          register): the same work as raw. The package inventory is a step raw Packer does not take.
//   raw:   `packer build -machine-readable` of the very templates `bake plan --emit packer` wrote, chained by hand
//          (layer 1, layer 2 from layer 1's image, verify from layer 2's image).
//   bake with its inventory (the default build), timed too: how much the inventory step costs, not part of the goal.
// Goal: bake's overhead (bake - raw, the median of paired runs) is at most 5% of raw plus 0.3 s. Runs rotate which
// goes first.
// Usage: npm run build && node bench/packer/run.mjs [--runs N]
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bakeBin = join(repo, "bin/bake.js");
const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Math.max(1, Number(values.runs));

if (!existsSync(join(repo, "dist/drivers/packer/machine-readable.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
for (const [tool, args, hint] of [
  ["docker", ["info"], "start dockerd (for example .ci/start-dockerd)"],
  ["packer", ["version"], "apt-get install packer"],
]) {
  if (spawnSync(tool, args, { stdio: "ignore" }).status !== 0) {
    console.error(`${tool} is not usable: ${hint}`);
    process.exit(2);
  }
}
const { summarizeOutput } = await import(join(repo, "dist/drivers/packer/machine-readable.js"));

const BASE = "bake-busybox:latest";
execFileSync(join(repo, ".ci/make-docker-base"), [BASE], { stdio: "inherit" });

const work = mkdtempSync(join(tmpdir(), "bake-bench-packer-"));
const env = { ...process.env, CI: "1", CHECKPOINT_DISABLE: "1", NO_COLOR: "1" };
const made = new Set();

try {
  writeProject(work);
  const emitted = join(work, "pkr");
  run("node", [bakeBin, "plan", "recipe.yaml", "--emit", "packer", emitted], { cwd: work });

  const results = [];
  const kinds = ["bake", "raw", "inventory"];
  for (let index = 1; index <= runs; index++) {
    const order = kinds.map((_, at) => kinds[(at + index) % kinds.length]);
    const times = {};
    for (const which of order)
      times[which] =
        which === "raw"
          ? rawBuild(emitted)
          : bakeBuild(`${index}-${which}`, { inventory: which === "inventory" });
    results.push(times);
    console.log(
      `run ${index}: bake ${seconds(times.bake)}  raw packer ${seconds(times.raw)}  overhead ${seconds(times.bake - times.raw)}  (bake with inventory ${seconds(times.inventory)})`,
    );
  }
  const bake = median(results.map((r) => r.bake));
  const raw = median(results.map((r) => r.raw));
  // Each run pairs bake and raw back to back; the median of the paired differences is steadier than a
  // difference of medians on a loaded machine.
  const overhead = median(results.map((r) => r.bake - r.raw));
  const allowed = 0.05 * raw + 300;
  console.log("");
  console.log(
    `median over ${runs} run(s): bake ${seconds(bake)}, raw packer ${seconds(raw)}, ratio ${(bake / raw).toFixed(3)}`,
  );
  console.log(`median paired overhead ${seconds(overhead)} (${((overhead / raw) * 100).toFixed(1)}% of raw)`);
  const inventoryCost = median(results.map((r) => r.inventory - r.bake));
  console.log(`the inventory step (bake with it - bake without, paired median): ${seconds(inventoryCost)}`);
  console.log(
    `goal: overhead <= 5% of raw + 0.3 s = ${seconds(allowed)} -> ${overhead <= allowed ? "met" : "NOT met"}`,
  );
} finally {
  if (made.size > 0) spawnSync("docker", ["rmi", "-f", ...made], { stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
}

function bakeBuild(name, { inventory }) {
  const manifest = join(work, `bench-${name}.jsonl`);
  const started = performance.now();
  const args = ["build", "recipe.yaml", "--target", "packer", "--no-cache", "--manifest", manifest];
  run("node", [bakeBin, ...args, ...(inventory ? [] : ["--no-inventory"])], { cwd: work });
  const elapsed = performance.now() - started;
  const out = execFileSync("node", [bakeBin, "history", "--all", "--json", "--manifest", manifest], {
    cwd: work,
    env,
    encoding: "utf8",
  });
  for (const match of out.matchAll(/sha256:[0-9a-f]{64}/g)) made.add(match[0]);
  return elapsed;
}

function rawBuild(dir) {
  const started = performance.now();
  let parent;
  for (const template of ["01-tools.pkr.json", "02-app.pkr.json", "verify.pkr.json"]) {
    const args = ["build", "-machine-readable", "-color=false"];
    if (parent) args.push("-var", `bake_parent=${parent}`);
    const out = run("packer", [...args, template], { cwd: dir });
    const artifact = summarizeOutput(out).artifacts.find((a) => a.id)?.id;
    if (template !== "verify.pkr.json") {
      if (!artifact) throw new Error(`raw packer build of ${template} reported no artifact`);
      made.add(artifact);
      parent = artifact;
    }
  }
  return performance.now() - started;
}

function run(command, args, options) {
  const result = spawnSync(command, args, { ...options, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

function writeProject(dir) {
  mkdirSync(join(dir, "app"), { recursive: true });
  writeFileSync(join(dir, "app/install.sh"), "#!/bin/sh\necho installed > /opt/app/installed\n", {
    mode: 0o755,
  });
  writeFileSync(
    join(dir, "recipe.yaml"),
    [
      "apiVersion: bake/v1",
      "name: bench-packer",
      'version: "1.0.0"',
      `from: docker://${BASE}`,
      "target: { driver: packer, builder: docker }",
      "layers:",
      "  - name: tools",
      "    steps:",
      "      - run: mkdir -p /opt/tools && for i in $(seq 1 100); do echo tool-$i > /opt/tools/t$i; done",
      "  - name: app",
      "    steps:",
      "      - copy: { from: app/, to: /opt/app/ }",
      "      - run: /opt/app/install.sh",
      "verify:",
      "  - name: installed",
      "    file: { path: /opt/app/installed, contains: installed }",
      "",
    ].join("\n"),
  );
  cpSync(join(dir, "recipe.yaml"), join(dir, "recipe.orig.yaml"));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}
