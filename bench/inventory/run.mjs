// Benchmark: `bake query package` over manifests of 100, 500 and 1000 images, each with its own inventory of this
// host's installed packages (about 700 on a Debian machine) and 100 servers observed running them (`observe`
// events, as `bake fleet` records), against the floor of a bare `node -e` that reads and JSON.parses the same
// inventory files, in the same run. The first query re-hashes every inventory and builds the derived package index
// in .bake-cache/; later ones read the index. Goal: 500 images and 100 servers answer in <= 0.5 s (warm).
// Run `npm run build` first. Usage: node bench/inventory/run.mjs [--sizes 100,500,1000] [--servers 100] [--runs 3]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = join(repo, "dist");
const { values } = parseArgs({
  options: { sizes: { type: "string" }, servers: { type: "string" }, runs: { type: "string" } },
});
const sizes = (values.sizes ?? "100,500,1000").split(",").map(Number);
const servers = Number(values.servers ?? 100);
const runs = Number(values.runs ?? 3);

const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { openManifest } = await load("manifest/manifest.js");
const { sideDataFor } = await load("manifest/side-data.js");
const { parseDpkgStatus } = await load("inventory/dpkg-status.js");
const { cycloneDxJson } = await load("inventory/cyclonedx.js");
const { digest } = await load("util/digest.js");

const os = { id: "debian", versionId: "12" };
const host = parseDpkgStatus(readFileSync("/var/lib/dpkg/status", "utf8"), { os });

async function makeManifest(dir, count) {
  const path = join(dir, "bake.lineage.jsonl");
  const manifest = await openManifest(path, { create: true });
  const side = sideDataFor(path);
  const ids = [];
  for (let n = 0; n < count; n++) {
    // Each image differs a little (one package's version), so every inventory is its own file.
    const packages = host.map((p, i) =>
      i === n % host.length ? { ...p, version: `${p.version}+b${n}` } : p,
    );
    const sbom = await side.put(
      cycloneDxJson({ os, packages }, { lineage: `app-${n % 10}`, version: "1", artifact: "x" }),
    );
    const record = await manifest.register({
      kind: "image",
      lineage: `app-${n % 10}`,
      version: "1",
      parent: { external: { ref: "host", id: digest(`host ${n}`) } },
      driver: "local",
      artifact: digest(`artifact ${n}`),
      recipeDigest: digest("recipe"),
      layers: [],
      verify: { ok: true, checks: [] },
      details: { sbom, packages: String(packages.length) },
    });
    ids.push(record.id);
  }
  // Servers spread over the images, each seen twice (an older image, then its current one), as fleets move.
  for (let k = 0; k < servers; k++) {
    const server = `srv-${String(k).padStart(3, "0")}`;
    for (const n of [(k * 7) % count, (k * 13 + 1) % count]) {
      await manifest.appendEvent({
        event: "observe",
        target: ids[n],
        server,
        details: { zone: "us-central1-a" },
      });
    }
  }
  return path;
}

function time(argv, options) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, argv, { ...options, encoding: "utf8", maxBuffer: 1 << 28 });
    if (result.status !== 0 && result.status !== 1) throw new Error(result.stderr);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { first: times[0], best: Math.min(...times.slice(1)) };
}

const floor = `const fs=require("fs"),p=require("path");const d=p.join(process.argv[1],".bake-data/sha256");let n=0;for(const f of fs.readdirSync(d))n+=JSON.parse(fs.readFileSync(p.join(d,f),"utf8")).components.length;console.log(n)`;
console.log(
  `host packages per image: ${host.length}; ${servers} observed servers; ${runs} runs, warm = best after the first; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
for (const size of sizes) {
  const dir = mkdtempSync(join(tmpdir(), "bake-bench-inventory-"));
  try {
    const path = await makeManifest(dir, size);
    const bytes = execFileSync("du", ["-sb", join(dir, ".bake-data")], { encoding: "utf8" }).split("\t")[0];
    const bake = time(
      [join(repo, "bin/bake.js"), "query", "package", "openssl@<99", "--json", "--manifest", path],
      { cwd: dir },
    );
    const bare = time(["-e", floor, dir], { cwd: dir });
    // What the query answered: every server is on an image that holds the package, so it names them all.
    const answer = JSON.parse(
      spawnSync(
        process.execPath,
        [join(repo, "bin/bake.js"), "query", "package", "openssl@<99", "--json", "--manifest", path],
        {
          cwd: dir,
          encoding: "utf8",
          maxBuffer: 1 << 28,
        },
      ).stdout,
    );
    const named = new Set(answer.matches.flatMap((m) => m.servers)).size;
    if (named !== servers) throw new Error(`the query named ${named} servers, not ${servers}`);
    console.log(
      `${size} images (${(Number(bytes) / 1e6).toFixed(1)} MB of inventories), ${servers} servers: bake query ${bake.first.toFixed(0)} ms cold (re-hashes every inventory, builds the index), ${bake.best.toFixed(0)} ms warm; bare read+parse ${bare.best.toFixed(0)} ms`,
    );
    if (size === 500) {
      console.log(
        `  goal: 500 images and ${servers} servers in <= 500 ms warm: ${bake.best <= 500 ? "met" : "NOT met"}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
