// Benchmark of the lineage stores: one register (in process, and as a whole `bake promote` process) and
// `bake history --json` (once cold, with an empty cache directory as on a fresh runner, then with the local cache)
// on lineages of 1k and 10k records (add 100000 to --sizes if time allows), for the file
// store, a git store on a local bare remote, and PostgreSQL; ratios to the file store are printed.
// Run `npm run build` first. Usage: node bench/store/run.mjs [--sizes 1000,10000] [--runs 3] [--pg URL]
// [--stores file,git,postgres] (the file store always runs: it is what the others are compared with)
// Without --pg it starts a throwaway cluster (initdb as the postgres user when root, as the tests do).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = join(repo, "dist");
const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    runs: { type: "string" },
    pg: { type: "string" },
    stores: { type: "string" },
  },
});
const sizes = (values.sizes ?? "1000,10000").split(",").map(Number);
const runs = Number(values.runs ?? 3);
const stores = new Set((values.stores ?? "file,git,postgres").split(","));
stores.add("file");
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { serializeEntry } = await load("manifest/hash.js");
const { digest } = await load("util/digest.js");
const { headerLine } = await load("manifest/format.js");
const { openManifest } = await load("manifest/manifest.js");
const { openLineStore } = await load("manifest/store/open.js");
const { copyLineage } = await load("manifest/store/copy.js");

const work = mkdtempSync(join(tmpdir(), "bake-bench-store-"));
// The postgres user runs initdb inside it.
chmodSync(work, 0o755);
const env = { ...process.env, BAKE_CACHE_DIR: join(work, "cache"), NO_COLOR: "1" };
process.env.BAKE_CACHE_DIR = env.BAKE_CACHE_DIR;

/** A lineage file of `count` records: images with one layer record each, in 10 lineages. */
function lineageFile(path, count) {
  const lines = [headerLine({ createdAt: "2026-01-01T00:00:00.000Z", bakeVersion: "0.1.0" })];
  const builds = new Map();
  const append = (body) => {
    const { id, text } = serializeEntry({ ...body, prev: digest(lines[lines.length - 1]) });
    lines.push(text);
    return id;
  };
  const base = { external: { ref: "docker-archive:./base.tar", id: digest("base") } };
  for (let n = 0; n + 1 < count; n += 2) {
    const lineage = `web-${n % 10}`;
    const layer = { name: "app", inputsDigest: digest(`in ${n}`), cacheKey: digest(`key ${n}`) };
    const common = {
      lineage,
      version: `1.${n}.0`,
      parent: base,
      driver: "local",
      recipeDigest: digest(lineage),
    };
    const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    const meta = { createdAt, bakeVersion: "0.1.0", ci: { provider: "bench" } };
    const layerId = append({
      type: "record",
      kind: "layer",
      ...common,
      artifact: digest(`l ${n}`),
      layer,
      ...meta,
    });
    const build = (builds.get(lineage) ?? 0) + 1;
    builds.set(lineage, build);
    append({
      type: "record",
      kind: "image",
      ...common,
      build,
      artifact: digest(`i ${n}`),
      layers: [{ ...layer, record: layerId, artifact: digest(`l ${n}`) }],
      verify: { ok: true, checks: [{ name: "run: true", ok: true, attempts: 1, durationMs: 3 }] },
      ...meta,
    });
  }
  writeFileSync(path, lines.map((line) => `${line}\n`).join(""));
}

function startCluster() {
  const dir = join(work, "pg");
  const bin = process.env.BAKE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
  execFileSync("mkdir", ["-p", dir]);
  const root = process.getuid() === 0;
  if (root) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"])), 0);
  const run = (file, args) =>
    execFileSync(
      root ? "runuser" : join(bin, file),
      root ? ["-u", "postgres", "--", join(bin, file), ...args] : args,
      { stdio: "pipe" },
    );
  run("initdb", ["-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "--no-sync"]);
  const port = 45000 + Math.floor(Math.random() * 10000);
  run("pg_ctl", [
    "-D",
    join(dir, "data"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "-l",
    join(dir, "log"),
    "-w",
    "start",
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "stop"]),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let cold = 0;
function timeProcess(args, options = {}) {
  const times = [];
  for (let i = 0; i < (options.once ? 1 : runs); i++) {
    const start = process.hrtime.bigint();
    // A cold run gets a cache directory of its own: a fresh CI runner, with no local cache of the store.
    const runEnv = options.once ? { ...env, BAKE_CACHE_DIR: join(work, `cold-${++cold}`) } : env;
    const result = spawnSync(process.execPath, [join(repo, "bin/bake.js"), ...args], {
      env: runEnv,
      maxBuffer: 1 << 30,
    });
    if (result.status !== 0) throw new Error(`bake ${args.join(" ")} failed: ${result.stderr}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

const cluster = values.pg ? undefined : startCluster();
const pgBase = values.pg ?? cluster.url;
const rows = [];
try {
  for (const size of sizes) {
    const file = join(work, `lineage-${size}.jsonl`);
    lineageFile(file, size);
    const locations = {
      file: join(work, `file-${size}.jsonl`),
      git: "",
      postgres: `${pgBase}${pgBase.includes("?") ? "&" : "?"}schema=bench_${size}`,
    };
    execFileSync("git", ["init", "--bare", "-q", join(work, `remote-${size}.git`)]);
    locations.git = `git+file://${join(work, `remote-${size}.git`)}#bake/lineage`;
    const pg = await openLineStore(locations.postgres);
    await pg.init();
    await pg.close();
    const check = async () => ({ ok: true, problems: [] });
    for (const kind of Object.keys(locations)) if (!stores.has(kind)) delete locations[kind];
    for (const location of Object.values(locations)) {
      const [source, target] = [await openLineStore(file), await openLineStore(location)];
      await copyLineage({ source, target, check });
      await target.close();
    }
    for (const [kind, location] of Object.entries(locations)) {
      const manifest = await openManifest(location, { env: {} });
      const target = manifest.resolve("web-0").id;
      const inProcess = [];
      for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        await manifest.appendEvent({ event: "promote", target, channel: `bench-${i}` });
        inProcess.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      rows.push({
        size,
        kind,
        registerInProcess: median(inProcess),
        registerProcess: timeProcess(["promote", "web-0", "stable", "--manifest", location]),
        historyCold: timeProcess(["history", "--json", "--manifest", location], { once: true }),
        history: timeProcess(["history", "--json", "--manifest", location]),
      });
    }
  }
} finally {
  cluster?.stop();
  rmSync(work, { recursive: true, force: true });
}

const ms = (value) => `${value.toFixed(0)} ms`;
console.log(
  `runs: ${runs} (medians); register = one promote event appended (durable), history = bake history --json`,
);
console.log(
  "records  store     register in process   register (process)   history --json (cold)   history --json (cached)",
);
for (const row of rows) {
  const file = rows.find((other) => other.size === row.size && other.kind === "file");
  const ratio = (key) => (row.kind === "file" ? "" : ` (x${(row[key] / file[key]).toFixed(1)})`);
  console.log(
    `${String(row.size).padStart(7)}  ${row.kind.padEnd(8)}  ${(ms(row.registerInProcess) + ratio("registerInProcess")).padEnd(20)}  ${(ms(row.registerProcess) + ratio("registerProcess")).padEnd(19)}  ${(ms(row.historyCold) + ratio("historyCold")).padEnd(22)}  ${ms(row.history)}${ratio("history")}`,
  );
}
