#!/usr/bin/env node
// bench/build: `docker build` and `bake build` on the same busybox base with the same steps, timed in one run.
// Cases: cold (no cache), only the last layer changed, nothing changed. Prints medians and ratios (bake / docker).
// Goals: cold no slower than docker build; last-layer-changed no slower than docker's cached rebuild;
// nothing changed in at most 0.5 s. Offline: the docker base is `docker import`ed from a /bin/busybox rootfs, never
// pulled; bake starts from the same image through `docker save` (docker-archive:). Wall times depend on the machine's
// load, so bake's CPU time (user + system, from /proc) is printed too.
// Usage: npm run build && node bench/build/run.mjs [--runs N]
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
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
if (spawnSync("docker", ["info"], { stdio: "ignore" }).status !== 0) {
  console.error("dockerd is not reachable: start it (for example .ci/start-dockerd) and run again");
  process.exit(2);
}

// The same three layers for both: tools (a run), config (a run), app (a copy and a run).
const TOOLS = "mkdir -p /opt/tools && for i in $(seq 1 300); do echo tool-$i > /opt/tools/t$i; done";
const CONFIG =
  "mkdir -p /opt/conf && echo 'listen=8080' > /opt/conf/app.conf && echo 'workers=4' >> /opt/conf/app.conf";
const INSTALL = "/opt/app/install.sh";

const work = mkdtempSync(join(tmpdir(), "bake-bench-build-"));
const tag = `bake-bench-base:${process.pid}`;
const appImage = `bake-bench-app:${process.pid}`;

try {
  makeRootfs(join(work, "rootfs"));
  execFileSync("sh", ["-c", `tar -C "${join(work, "rootfs")}" -c . | docker import - ${tag}`], {
    stdio: "ignore",
  });
  // bake starts from the very image docker builds FROM, saved as a docker-archive.
  execFileSync("docker", ["save", tag, "-o", join(work, "base.tar")], { stdio: "ignore" });
  writeProject(work);

  const results = [];
  for (let run = 1; run <= runs; run++) {
    // Cold: an empty bake store and manifest; docker with --no-cache.
    rmSync(join(work, ".bake"), { recursive: true, force: true });
    rmSync(join(work, "bake.lineage.jsonl"), { force: true });
    writeApp(work, "v1");
    const cold = { docker: docker(["--no-cache"]), ...bakeFields(bake()) };
    // Only the last layer changed: the copied app changes, every layer below is cached on both sides.
    writeApp(work, `v2-${run}`);
    const last = { docker: docker([]), ...bakeFields(bake()) };
    // Nothing changed.
    const none = { docker: docker([]), ...bakeFields(bake()) };
    results.push({ cold, last, none });
    console.error(`run ${run}/${runs}: ${JSON.stringify({ cold, last, none })}`);
  }

  const median = (list) => list.slice().sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const row = (name, key, goal) => {
    const docker = median(results.map((r) => r[key].docker));
    const bakeMs = median(results.map((r) => r[key].bake));
    const bakeCpu = median(results.map((r) => r[key].bakeCpu));
    return {
      case: name,
      "docker build (s)": sec(docker),
      "bake build (s)": sec(bakeMs),
      "bake CPU (s)": sec(bakeCpu),
      "bake/docker": (bakeMs / docker).toFixed(2),
      goal: goal(bakeMs, docker),
    };
  };
  const table = [
    row("cold", "cold", (b, d) => (b <= d ? "met (bake <= docker)" : "missed (bake > docker)")),
    row("last layer changed", "last", (b, d) => (b <= d ? "met (bake <= docker cached)" : "missed")),
    row("nothing changed", "none", (b) => (b <= 500 ? "met (<= 0.5 s)" : "missed (> 0.5 s)")),
  ];
  console.log(
    `bench/build: median of ${runs} run(s); docker ${dockerVersion()} (${builder()}), node ${process.version}`,
  );
  console.table(table);
  console.log(
    `load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
  );
} finally {
  spawnSync("docker", ["rmi", "-f", appImage, tag], { stdio: "ignore" });
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}

function bakeFields(measured) {
  return { bake: measured.wall, bakeCpu: measured.cpu };
}

function sec(ms) {
  return (ms / 1000).toFixed(3);
}

function timed(command, args, options) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return Math.round(ms);
}

function docker(extra) {
  return timed("docker", ["build", "-q", ...extra, "-t", appImage, "-f", "Dockerfile", "."], {
    cwd: work,
    env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? "0" },
  });
}

// CPU seconds (user + system) of waited-for children so far, from /proc/self/stat (clock ticks of 10 ms).
function childCpuMs() {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

// Wall and CPU milliseconds of one `bake build`.
function bake() {
  const before = childCpuMs();
  const wall = bakeTimed();
  return { wall, cpu: childCpuMs() - before };
}

function bakeTimed() {
  return timed(process.execPath, [bakeBin, "build", "recipe.yaml", "--json"], {
    cwd: work,
    env: { PATH: process.env.PATH, CI: "true" },
  });
}

function dockerVersion() {
  return spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], {
    encoding: "utf8",
  }).stdout.trim();
}

function builder() {
  return (process.env.DOCKER_BUILDKIT ?? "0") === "1" ? "BuildKit" : "classic builder";
}

// A busybox root filesystem: the static /bin/busybox and a symlink per applet.
function makeRootfs(root) {
  for (const dir of ["bin", "etc", "tmp", "root", "opt", "var/tmp", "proc", "dev"])
    mkdirSync(join(root, dir), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  cpSync("/bin/busybox", join(root, "bin/busybox"));
  const applets = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
}

function writeProject(dir) {
  writeFileSync(
    join(dir, "Dockerfile"),
    [`FROM ${tag}`, `RUN ${TOOLS}`, `RUN ${CONFIG}`, "COPY app/ /opt/app/", `RUN ${INSTALL}`, ""].join("\n"),
  );
  writeFileSync(join(dir, ".dockerignore"), ".bake\nbake.lineage.jsonl\nrecipe.yaml\nrootfs\nbase.tar\n");
  writeFileSync(
    join(dir, "recipe.yaml"),
    `apiVersion: bake/v1
name: bench-app
from: docker-archive:./base.tar
target: { driver: local, network: none }
layers:
  - name: tools
    steps:
      - run: ${JSON.stringify(TOOLS)}
  - name: config
    steps:
      - run: ${JSON.stringify(CONFIG)}
  - name: app
    steps:
      - copy: { from: app/, to: /opt/app/ }
      - run: ${INSTALL}
`,
  );
}

function writeApp(dir, version) {
  mkdirSync(join(dir, "app"), { recursive: true });
  writeFileSync(join(dir, "app/VERSION"), `${version}\n`);
  writeFileSync(join(dir, "app/install.sh"), "#!/bin/sh\nset -e\ncp /opt/app/VERSION /opt/app/installed\n", {
    mode: 0o755,
  });
}
