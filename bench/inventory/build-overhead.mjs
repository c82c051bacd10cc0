// Benchmark: what the package inventory adds to a local build of a `from: host` image, measured in one run.
// The same recipe (one `run` layer on the host's root filesystem, checked by one verify step) is built through the
// library's `execute` (what `bake build` runs after planning), alternately with and without the side data store
// that makes it take an inventory, each build cold (`noCache`, a new manifest). Without a side data store the
// runner records no inventory: that is the only difference. The CLI's own start-up is left out, so the ratio is
// stricter than a user's `bake build` would show. Prints medians, the ratio and the goal (<= 1.05).
// Run `npm run build` first. Usage: node bench/inventory/build-overhead.mjs [--runs 7]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = join(repo, "dist");
if (!existsSync(join(dist, "run/execute.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const runs = Math.max(1, Number(values.runs));

const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { execute } = await load("run/execute.js");
const { planRecipe } = await load("plan/plan-recipe.js");
const { createDriver } = await load("drivers/local/index.js");
const { openManifest } = await load("manifest/manifest.js");
const { sideDataFor } = await load("manifest/side-data.js");

const RECIPE = `apiVersion: bake/v1
name: on-host
version: "1"
from: host
target: { driver: local, network: none }
layers:
  - name: app
    steps:
      - run: mkdir -p /opt/app && for i in $(seq 1 200); do echo line-$i >> /opt/app/conf; done
verify:
  - run: test -s /opt/app/conf
`;

const work = mkdtempSync(join(tmpdir(), "bake-bench-inv-build-"));
const env = { ...process.env, BAKE_STORE: join(work, "store"), NO_COLOR: "1" };
const signal = new AbortController().signal;
const reporter = { emit() {}, close: async () => {} };
let packages = 0;

async function buildOnce(n, withInventory) {
  const path = join(work, `m${n}.jsonl`);
  const { plan, root, secrets } = await planRecipe(join(work, "recipe.yaml"), { cwd: work, env, signal });
  const driver = createDriver();
  driver.prepare(plan.target, plan);
  const manifest = await openManifest(path, { create: true, env });
  const start = process.hrtime.bigint();
  const result = await execute(plan, {
    driver,
    manifest,
    reporter,
    signal,
    secrets,
    cwd: work,
    root,
    env,
    noCache: true,
    ...(withInventory ? { sideData: sideDataFor(path) } : {}),
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await driver.close?.();
  const recorded = result.record.details?.packages;
  if (withInventory && recorded === undefined) throw new Error("the build recorded no inventory");
  if (!withInventory && recorded !== undefined)
    throw new Error("the build recorded an inventory it should not");
  if (withInventory) packages = Number(recorded);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

try {
  writeFileSync(join(work, "recipe.yaml"), RECIPE);
  // One warm-up pair: the first build of the host base pays one-off costs (the store, loading modules).
  await buildOnce(0, true);
  await buildOnce(1, false);
  const on = [];
  const off = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a drift in the machine's load falls on both.
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const withInventory of order) {
      const ms = await buildOnce(2 + i * 2 + (withInventory ? 0 : 1), withInventory);
      (withInventory ? on : off).push(ms);
    }
  }
  const ratio = median(on) / median(off);
  console.log(
    `local build of a from: host image (${packages} host packages), ${runs} alternating pairs, cold builds, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `  without inventory: median ${median(off).toFixed(0)} ms (${off.map((t) => t.toFixed(0)).join(", ")})`,
  );
  console.log(
    `  with inventory:    median ${median(on).toFixed(0)} ms (${on.map((t) => t.toFixed(0)).join(", ")})`,
  );
  console.log(
    `  ratio ${ratio.toFixed(3)} (${median(on) - median(off) >= 0 ? "+" : ""}${(median(on) - median(off)).toFixed(0)} ms, ${((ratio - 1) * 100).toFixed(1)}%); goal <= 1.05: ${ratio <= 1.05 ? "met" : "NOT met"}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
