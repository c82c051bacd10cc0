#!/usr/bin/env node
// bench/registry: bake's registry transfers against raw `skopeo copy` of the same content, timed in one run.
// Cases: pull a base (about 30 MB of incompressible layers, made offline and seeded into a local docker-registry)
// into an empty store, and push a built image on that base to a fresh registry. Each is paired with the skopeo
// command that moves the same bytes (`skopeo copy docker://... dir:` for the pull, `skopeo copy --preserve-digests
// oci:... docker://...` for the push); the order inside a pair alternates from run to run. Prints medians and
// ratios (bake / skopeo). Goal: <= 1.1x each. Every push goes to a registry started empty for it, so nothing is
// skipped as "already there".
// Usage: npm run build && node bench/registry/run.mjs [--runs N]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
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
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bakeBin = join(repo, "bin/bake.js");
const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Math.max(1, Number(values.runs));

if (!existsSync(join(repo, "dist/cli/main.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}
for (const tool of ["skopeo", "docker-registry"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status !== 0) {
    console.error(`${tool} is not installed (apt-get install skopeo docker-registry)`);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), "bake-bench-registry-"));
const home = join(work, "home");
mkdirSync(join(home, ".config/containers"), { recursive: true });
writeFileSync(join(home, ".config/containers/registries.conf"), "");
const env = { PATH: process.env.PATH, HOME: home, CI: "true", NO_COLOR: "1" };
const registries = [];

try {
  const source = await startRegistry();
  const layout = makeBaseLayout(join(work, "base-layout"));
  execFileSync(
    "skopeo",
    ["copy", "--quiet", `oci:${layout.dir}:base`, `docker://${source.host}/bench/base:1`],
    {
      env,
    },
  );
  const baseRef = `docker://${source.host}/bench/base:1`;
  console.error(`base: ${layout.layers} layers, ${mib(layout.bytes)} MiB compressed, ${baseRef}`);

  // The image to push: one small layer on the base, built once (not timed), and its OCI layout for raw skopeo.
  const project = join(work, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "recipe.yaml"),
    `apiVersion: bake/v1\nname: bench-push\nfrom: ${baseRef}\ntarget: { driver: local, network: none }\nlayers:\n  - name: app\n    steps:\n      - file: { path: /opt/app/VERSION, content: "1\\n" }\n`,
  );
  bake(["build", "recipe.yaml"], project);
  bake(["export", "bench-push", "-o", join(work, "image.tar")], project);
  const imageLayout = join(work, "image-layout");
  mkdirSync(imageLayout);
  execFileSync("tar", ["-xf", join(work, "image.tar"), "-C", imageLayout]);

  const { createDriver } = await import(pathToFileURL(join(repo, "dist/drivers/local/index.js")).href);
  const artifact = JSON.parse(
    execFileSync("node", [bakeBin, "show", "bench-push", "--json"], { cwd: project, env, encoding: "utf8" }),
  ).record.artifact;
  const pushInProcess = async (destination) => {
    const start = process.hrtime.bigint();
    await createDriver().push({
      image: artifact,
      destination,
      cwd: project,
      env: { ...env, BAKE_STORE: join(project, ".bake") },
      signal: new AbortController().signal,
      reporter: { emit() {}, async close() {} },
    });
    return elapsed(start);
  };
  const results = [];
  for (let run = 1; run <= runs; run++) {
    const bakeFirst = run % 2 === 1;
    // Pull: bake's resolve of a docker:// base into an empty store, against skopeo copy to a dir: of the same image.
    const pullBake = async () => {
      const store = join(work, `store-${run}`);
      const start = process.hrtime.bigint();
      await createDriver().resolve(
        { kind: "external", ref: baseRef, scheme: "docker", location: baseRef.slice("docker://".length) },
        {
          cwd: work,
          env: { ...env, BAKE_STORE: store },
          signal: new AbortController().signal,
          reporter: { emit() {}, async close() {} },
        },
      );
      const ms = elapsed(start);
      rmSync(store, { recursive: true, force: true });
      return ms;
    };
    const pullRaw = () => {
      const dir = join(work, `raw-pull-${run}`);
      const ms = timed("skopeo", ["copy", "--quiet", baseRef, `dir:${dir}`]);
      rmSync(dir, { recursive: true, force: true });
      return ms;
    };
    const pull = {};
    for (const side of bakeFirst ? ["bake", "skopeo"] : ["skopeo", "bake"]) {
      pull[side] = side === "bake" ? await pullBake() : pullRaw();
    }
    // Push: each side to a registry started empty for it. bake's push path in process (the driver's push, as
    // `bake build` runs it for publish:), and `bake push` as a whole CLI process (node's start-up included).
    const push = {};
    const cli = {};
    for (const side of bakeFirst ? ["bake", "skopeo", "cli"] : ["skopeo", "cli", "bake"]) {
      const target = await startRegistry();
      const destination = `docker://${target.host}/bench/app:${run}`;
      if (side === "bake") push.bake = await pushInProcess(destination);
      else if (side === "cli")
        cli.bake = timed("node", [bakeBin, "push", "bench-push", destination], { cwd: project });
      else
        push.skopeo = timed("skopeo", [
          "copy",
          "--quiet",
          "--preserve-digests",
          `oci:${imageLayout}`,
          destination,
        ]);
      await target.stop();
    }
    cli.skopeo = push.skopeo;
    results.push({ pull, push, cli });
    console.error(
      `run ${run}/${runs} (${bakeFirst ? "bake first" : "skopeo first"}): ${JSON.stringify({ pull, push, cli })}`,
    );
  }

  const median = (list) => list.slice().sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const row = (name, key) => {
    const bakeMs = median(results.map((r) => r[key].bake));
    const rawMs = median(results.map((r) => r[key].skopeo));
    const ratio = bakeMs / rawMs;
    return {
      case: name,
      "skopeo copy (s)": sec(rawMs),
      "bake (s)": sec(bakeMs),
      "bake/skopeo": ratio.toFixed(2),
      goal: ratio <= 1.1 ? "met (<= 1.1x)" : "missed (> 1.1x)",
    };
  };
  console.log(
    `bench/registry: median of ${runs} run(s), order alternating; ${skopeoVersion()}, docker-registry ${registryVersion()}, node ${process.version}; base ${mib(layout.bytes)} MiB in ${layout.layers} layers`,
  );
  console.table([
    row("pull a base (the driver's resolve, into an empty store)", "pull"),
    row("push an image (the driver's push, as publish: runs it)", "push"),
    row("push an image (bake push, a whole CLI process)", "cli"),
  ]);
  console.log(
    `load average at the end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
  );
} finally {
  for (const registry of registries) await registry.stop();
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}

function bake(args, cwd) {
  const result = spawnSync("node", [bakeBin, ...args], { cwd, env, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bake ${args.join(" ")} failed:\n${result.stderr}`);
}

function timed(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, encoding: "utf8", ...options });
  const ms = elapsed(start);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}`);
  return ms;
}

function elapsed(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function sec(ms) {
  return (ms / 1000).toFixed(3);
}

function mib(bytes) {
  return (bytes / 1024 / 1024).toFixed(1);
}

function skopeoVersion() {
  return execFileSync("skopeo", ["--version"], { encoding: "utf8" }).trim();
}

function registryVersion() {
  return execFileSync("docker-registry", ["--version"], { encoding: "utf8" }).trim().split(" ").at(-1);
}

// A plain-HTTP registry on 127.0.0.1, marked insecure in the client HOME's registries.conf.
async function startRegistry() {
  const dir = mkdtempSync(join(work, "registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${host}\n`,
  );
  const child = spawn(
    "setpriv",
    ["--pdeathsig", "KILL", "--", "docker-registry", "serve", join(dir, "config.yml")],
    {
      stdio: "ignore",
    },
  );
  const exited = new Promise((done) => child.once("exit", done));
  // Ready when /v2/ answers.
  for (let i = 0; i < 150; i++) {
    const answered = await fetch(`http://${host}/v2/`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  const conf = join(home, ".config/containers/registries.conf");
  writeFileSync(conf, `${readFileSync(conf, "utf8")}[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  let stopped = false;
  const registry = {
    host,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  registries.push(registry);
  return registry;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// An OCI layout tagged `base`: a busybox layer and three 10 MiB layers of incompressible bytes (AES-CTR of zeros).
function makeBaseLayout(dir) {
  mkdirSync(join(dir, "blobs/sha256"), { recursive: true });
  const blob = (bytes) => {
    const hex = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(dir, "blobs/sha256", hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const rootfs = join(dir, "..", "base-rootfs");
  const trees = [];
  makeRootfs(join(rootfs, "0"));
  trees.push(join(rootfs, "0"));
  for (let i = 1; i <= 3; i++) {
    const tree = join(rootfs, String(i));
    mkdirSync(join(tree, "var/data"), { recursive: true });
    writeFileSync(join(tree, "var/data", `blob-${i}`), noise(10 * 1024 * 1024, `layer ${i}`));
    trees.push(tree);
  }
  const layers = [];
  const diffIds = [];
  for (const tree of trees) {
    const tar = execFileSync(
      "tar",
      ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", tree, "-c", "."],
      { maxBuffer: 1 << 30 },
    );
    diffIds.push(`sha256:${createHash("sha256").update(tar).digest("hex")}`);
    layers.push({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...blob(gzipSync(tar)) });
  }
  rmSync(rootfs, { recursive: true, force: true });
  const config = blob(
    Buffer.from(
      JSON.stringify({
        created: "1970-01-01T00:00:00Z",
        architecture: "amd64",
        os: "linux",
        config: { Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"] },
        rootfs: { type: "layers", diff_ids: diffIds },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers,
      }),
    ),
  );
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": "base" },
        },
      ],
    }),
  );
  return { dir, layers: layers.length, bytes: layers.reduce((sum, layer) => sum + layer.size, 0) };
}

function makeRootfs(root) {
  for (const sub of ["bin", "etc", "tmp", "root", "opt", "var/tmp", "proc", "dev"])
    mkdirSync(join(root, sub), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  cpSync("/bin/busybox", join(root, "bin/busybox"));
  const applets = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
}

function noise(size, seed) {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}
