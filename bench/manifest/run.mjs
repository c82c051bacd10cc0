// Benchmark: `bake history --json` and one register on manifests of 1k, 10k and 100k records, each against the
// floor of a bare `node -e` that reads and JSON.parses the same bytes, in the same run.
// Run `npm run build` first. Usage: node bench/manifest/run.mjs [--sizes 1000,10000,100000] [--runs 3]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = join(repo, "dist");
const { values } = parseArgs({ options: { sizes: { type: "string" }, runs: { type: "string" } } });
const sizes = (values.sizes ?? "1000,10000,100000").split(",").map(Number);
const runs = Number(values.runs ?? 3);

const { buildManifest } = await import("./make-manifest.mjs");

// Wall time of the whole process, and its CPU time (user + sys, from bash's `time`), which a busy machine
// inflates much less than wall time.
function timeProcess(args) {
  const quoted = [process.execPath, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const result = spawnSync("bash", ["-c", `TIMEFORMAT='%R %U %S'; time ${quoted} >/dev/null`], { cwd: repo });
  const timing = result.stderr.toString().trim().split("\n").pop() ?? "";
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  const [real, user, sys] = timing.split(" ").map(Number);
  return { wall: real * 1000, cpu: (user + sys) * 1000 };
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
function measure(args) {
  const samples = Array.from({ length: runs }, () => timeProcess(args));
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}
const ms = (t) => `${t.wall.toFixed(0)}/${t.cpu.toFixed(0)} ms`;
const ratio = (a, b) => `${(a.wall / b.wall).toFixed(2)}/${(a.cpu / b.cpu).toFixed(2)}x`;

const floorScript = (file) =>
  `const t=require("fs").readFileSync(${JSON.stringify(file)},"utf8");let n=0;for(const l of t.split("\\n"))if(l){JSON.parse(l);n++}`;
const registerScript = (file) => `
const { openManifest } = await import(${JSON.stringify(pathToFileURL(join(dist, "manifest/manifest.js")).href)});
const m = await openManifest(${JSON.stringify(file)}, { env: {} });
await m.register({ kind: "image", lineage: "app-3", version: "9.9.9", parent: { external: { ref: "scratch", id: "scratch" } },
  driver: "local", artifact: "sha256:${"e".repeat(64)}", recipeDigest: "sha256:${"f".repeat(64)}", layers: [] });`;

console.log(`node ${process.version}, ${runs} runs each (median), ${new Date().toISOString()}`);
console.log(
  "times are wall/cpu (user+sys); ratios are bake over the floor: a bare `node -e` reading and JSON.parse-ing the file",
);
console.log(
  "records  size      history --json           floor        ratio        register        ratio  register()",
);
const dir = mkdtempSync(join(tmpdir(), "bake-bench-manifest-"));
const results = [];
try {
  for (const size of sizes) {
    const file = join(dir, `m-${size}.jsonl`);
    buildManifest(file, size);
    const mb = statSync(file).size / 1e6;
    const floor = measure(["-e", floorScript(file)]);
    const history = measure([join(repo, "bin/bake.js"), "history", "--json", "--manifest", file]);
    const register = measure(["--input-type=module", "-e", registerScript(file)]);
    const call = median(
      Array.from({ length: runs }, () => {
        const out = execFileSync(process.execPath, [
          "--input-type=module",
          "-e",
          `${registerScript(file).replace("await m.register", "const t0 = performance.now(); await m.register")}\nprocess.stdout.write(String(performance.now() - t0));`,
        ]);
        return Number(out.toString());
      }),
    );
    // The first write after the file changed outside bake (a git pull, a hand edit) has no valid chain checkpoint
    // and re-hashes every line before it appends.
    const checkpoint = join(dir, ".bake-cache", `m-${size}.jsonl.chain.json`);
    const coldSamples = Array.from({ length: runs }, () => {
      rmSync(checkpoint, { force: true });
      return timeProcess(["--input-type=module", "-e", registerScript(file)]);
    });
    const cold = { wall: median(coldSamples.map((s) => s.wall)), cpu: median(coldSamples.map((s) => s.cpu)) };
    results.push({ size, mb, history, floor, register, call, cold });
    console.log(
      `${String(size).padStart(7)}  ${`${mb.toFixed(1)} MB`.padEnd(9)} ${ms(history).padStart(14)}  ${ms(floor).padStart(15)}  ${ratio(history, floor).padStart(11)}  ${ms(register).padStart(14)}  ${ratio(register, floor).padStart(11)}  ${`${call.toFixed(1)} ms`.padStart(10)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const big = results.find((r) => r.size === 100000);
if (big) {
  console.log(
    `goals at 100k: history --json ${ms(big.history)} (goal <= 1000 ms), register ${ms(big.register)} as a whole process (goal <= 200 ms)`,
  );
}
for (const r of results) {
  console.log(
    `${String(r.size).padStart(7)}  first register after an outside change (no chain checkpoint: every line re-hashed): ${ms(r.cold)}`,
  );
}
