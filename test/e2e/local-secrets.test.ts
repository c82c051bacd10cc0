import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bakeArgv, bakeCli, ensureUser, makeBusyboxRootfs } from "../drivers/local/helpers.js";
import { ensureBuilt } from "../helpers/compiled-cli.js";

// Issue 9.1: a step's environment (secrets included) must not show in any process's arguments while a step or a
// check runs, nor be readable by another user, nor land in any file bake writes. Runs the compiled CLI. The check
// runs as the image's `app` (uid 1000): rootless with subordinate ids that is one of the builder's subordinate ids.

const isRoot = process.getuid?.() === 0;
const run = promisify(execFile);
// Sleep lengths no other process uses, to see in `ps` that a sample fell while the step or the check ran.
const STEP_MARK = "3.17";
const CHECK_MARK = "3.29";
const NOBODY = ["--reuid", "65534", "--regid", "65534", "--clear-groups"];

interface Mode {
  name: string;
  /** The unprivileged user the build runs as; root when absent. */
  user?: { name: string; uid: number; gid: number };
}

interface Sampling {
  samples: number;
  sawStep: boolean;
  sawCheck: boolean;
  /** Where the secret showed up, one line per finding. */
  hits: string[];
}

function recipe(secretHash: string): string {
  return `apiVersion: bake/v1
name: e2e-secret
vars:
  tok: { type: string, secret: true }
from: dir:./rootfs
target: { driver: local, network: none }
layers:
  - name: slow
    steps:
      - run: test "$(printf %s "$TOK" | sha256sum | cut -d' ' -f1)" = ${secretHash} && sleep ${STEP_MARK}
        env: { TOK: "\${vars.tok}" }
verify:
  - run: test -n "$TOK" && test "$(id -u)" = 1000 && sleep ${CHECK_MARK}
    env: { TOK: "\${vars.tok}" }
    user: app
`;
}

function makeProject(mode: Mode, secret: string): { dir: string; home: string } {
  const dir = mkdtempSync(join(tmpdir(), "bake-secret-"));
  const home = join(dir, "home");
  makeBusyboxRootfs(join(dir, "rootfs"));
  writeFileSync(join(dir, "recipe.yaml"), recipe(createHash("sha256").update(secret).digest("hex")));
  execFileSync("mkdir", ["-p", home]);
  if (mode.user) execFileSync("chown", ["-R", `${mode.user.uid}:${mode.user.gid}`, dir]);
  return { dir, home };
}

function spawnBuild(mode: Mode, project: { dir: string; home: string }, secret: string): ChildProcess {
  const cli = bakeArgv(["build", "recipe.yaml"]);
  const argv = mode.user
    ? [
        "setpriv",
        "--reuid",
        String(mode.user.uid),
        "--regid",
        String(mode.user.gid),
        "--clear-groups",
        ...cli,
      ]
    : cli;
  return spawn(argv[0] as string, argv.slice(1), {
    cwd: project.dir,
    env: {
      PATH: process.env.PATH,
      HOME: project.home,
      CI: "true",
      TMPDIR: project.home,
      BAKE_VAR_TOK: secret,
      ...(mode.user ? { USER: mode.user.name, LOGNAME: mode.user.name } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

// One look at every process: `ps -eo args` and every /proc/*/cmdline as root, then the same plus every
// /proc/*/environ as the host's `nobody`, who must see no secret anywhere.
async function sampleOnce(secret: string, into: Sampling): Promise<void> {
  const { stdout: psRoot } = await run("ps", ["-eo", "args"], { maxBuffer: 16 << 20 });
  const cmdlines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      cmdlines.push(readFileSync(`/proc/${pid}/cmdline`).toString("latin1").replaceAll("\0", " "));
    } catch {
      // Gone between readdir and read.
    }
  }
  const { stdout: asNobody } = await run(
    "setpriv",
    [
      ...NOBODY,
      "/bin/sh",
      "-c",
      'ps -eo args; for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do cat "$f" 2>/dev/null; echo; done',
    ],
    { maxBuffer: 64 << 20, encoding: "latin1" },
  );
  into.samples += 1;
  const all = `${psRoot}\n${cmdlines.join("\n")}`;
  if (all.includes(`sleep ${STEP_MARK}`)) into.sawStep = true;
  if (all.includes(`sleep ${CHECK_MARK}`)) into.sawCheck = true;
  for (const [where, text] of [
    ["ps -eo args (root)", psRoot],
    ["/proc/*/cmdline (root)", cmdlines.join("\n")],
    ["ps, cmdline and environ as nobody", asNobody],
  ] as const) {
    const line = text.split(/[\n\0]/).find((candidate) => candidate.includes(secret));
    if (line !== undefined) into.hits.push(`${where}: ${line.slice(0, 300)}`);
  }
}

async function sampleWhile(child: ChildProcess, secret: string): Promise<Sampling & { code: number }> {
  const sampling: Sampling = { samples: 0, sawStep: false, sawCheck: false, hits: [] };
  let done = false;
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number>((resolveExit) => {
    child.once("exit", (code) => {
      done = true;
      resolveExit(code ?? 1);
    });
  });
  while (!done) await sampleOnce(secret, sampling);
  const code = await exited;
  if (code !== 0) throw new Error(`the build failed (${code}):\n${output.join("")}`);
  return { ...sampling, code };
}

// Every regular file under `dir`, gzip members unpacked too (layer blobs are gzipped tars).
async function filesContaining(dir: string, secret: string): Promise<{ files: number; hits: string[] }> {
  const needle = Buffer.from(secret);
  const hits: string[] = [];
  let files = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const data = await readFile(path).catch(() => undefined);
    if (!data) continue;
    files += 1;
    if (data.includes(needle)) hits.push(path);
    if (data[0] === 0x1f && data[1] === 0x8b) {
      const unpacked = (() => {
        try {
          return gunzipSync(data);
        } catch {
          return undefined;
        }
      })();
      if (unpacked?.includes(needle)) hits.push(`${path} (gunzipped)`);
    }
  }
  return { files, hits };
}

const modes: Mode[] = [{ name: "as root" }];

beforeAll(ensureBuilt, 300_000);

if (isRoot) {
  const ids = ensureUser("bake-secrets", true);
  modes.push({
    name: "as an unprivileged user with subordinate ids",
    user: { name: "bake-secrets", ...ids },
  });
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)("secrets in the local driver (compiled CLI)", () => {
  test("the sampler finds a secret that is in a process's arguments, so it can fail", async () => {
    const secret = `S3CR3T-${randomBytes(8).toString("hex")}`;
    const control = spawn("/bin/sh", ["-c", "sleep 5", "sh", secret]);
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 200));
    const sampling: Sampling = { samples: 0, sawStep: false, sawCheck: false, hits: [] };
    await sampleOnce(secret, sampling);
    control.kill("SIGKILL");
    expect(sampling.hits.map((hit) => hit.split(":")[0])).toEqual([
      "ps -eo args (root)",
      "/proc/*/cmdline (root)",
      "ps, cmdline and environ as nobody",
    ]);
  });

  describe.each(modes)("$name", (mode) => {
    const secret = `S3CR3T-${randomBytes(8).toString("hex")}`;
    let project: { dir: string; home: string } | undefined;

    test("no process's arguments, and no other user, ever show a secret while a step and a verify check run", async () => {
      project = makeProject(mode, secret);
      dirs.push(project.dir);
      const result = await sampleWhile(spawnBuild(mode, project, secret), secret);
      expect(result.code).toBe(0);
      expect(result.sawStep).toBe(true);
      expect(result.sawCheck).toBe(true);
      expect(result.samples).toBeGreaterThan(10);
      expect(result.hits).toEqual([]);
    }, 180_000);

    test("no file bake wrote (store, manifest, cache, temp files, home) contains the secret after the build", async () => {
      expect(project).toBeDefined();
      const { dir } = project as { dir: string };
      // Commands that read the manifest write its derived cache (.bake-cache/) beside it; their output is clean too.
      for (const args of [
        ["history", "e2e-secret"],
        ["show", "e2e-secret"],
        ["plan", "recipe.yaml", "--json"],
      ]) {
        const shown = await bakeCli(args, { cwd: dir, env: { BAKE_VAR_TOK: secret } });
        expect(shown.code, shown.stderr).toBe(0);
        expect(`${shown.stdout}${shown.stderr}`).not.toContain(secret);
      }
      const manifest = readFileSync(join(dir, "bake.lineage.jsonl"), "utf8");
      expect(manifest).toContain('"kind":"image"');
      const found = await filesContaining(dir, secret);
      const blobs = readdirSync(join(dir, ".bake", "blobs", "sha256"));
      expect(blobs.length).toBeGreaterThan(5);
      expect(found.files).toBeGreaterThan(blobs.length);
      expect(found.hits).toEqual([]);
      // The store's scratch and temp areas are empty, not just clean.
      expect(readdirSync(join(dir, ".bake", "tmp"))).toEqual([]);
      expect(readdirSync(join(dir, ".bake", "runs"))).toEqual([]);
    }, 120_000);
  });
});
