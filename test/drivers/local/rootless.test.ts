import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureUser, makeBusyboxRootfs, transpileDriver } from "./helpers.js";

const isRoot = process.getuid?.() === 0;
const reason = isRoot ? undefined : "rootless tests create throwaway users, which needs root";
if (reason) console.warn(`skipping rootless sandbox tests: ${reason}`);

// Runs as the unprivileged user: builds a rootfs, bakes two layers on it, verifies, prints a JSON summary.
const INNER = `
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
const [lib, work, kind, givenRootfs] = process.argv.slice(2);
const { createDriver } = await import(join(lib, "drivers/local/index.js"));
const { currentIdMapping } = await import(join(lib, "drivers/local/idmap.js"));
const rootfs = givenRootfs ?? join(work, "rootfs");
if (!givenRootfs) {
for (const d of ["bin", "etc", "root", "tmp", "home"]) mkdirSync(join(rootfs, d), { recursive: true });
copyFileSync("/bin/busybox", join(rootfs, "bin/busybox"));
execFileSync("chmod", ["755", join(rootfs, "bin/busybox")]);
for (const a of execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\\n")) if (a && a !== "busybox") symlinkSync("busybox", join(rootfs, "bin", a));
writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\\napp:x:1000:1000:app:/home/app:/bin/sh\\n");
writeFileSync(join(rootfs, "etc/group"), "root:x:0:\\napp:x:1000:\\n");
}
const reporter = { emit() {}, close: async () => {} };
const ctx = { cwd: work, env: { BAKE_STORE: join(work, "store") }, signal: new AbortController().signal, reporter };
const step = (script, user) => ({ kind: "run", title: script, script, env: {}, ...(user ? { user } : {}) });
const layers = kind === "subordinate"
  ? [{ name: "users", inputsDigest: "sha256:1", steps: [step("mkdir -p /home/app && chown 1000:1000 /home/app && echo one > /one")] },
     { name: "app", inputsDigest: "sha256:2", steps: [step("id -u > /home/app/whoami", "app"), step("rm /one")] }]
  : [{ name: "one", inputsDigest: "sha256:1", steps: [step("echo one > /one && echo keep > /keep")] },
     { name: "two", inputsDigest: "sha256:2", steps: [step("rm /one && echo two > /two")] }];
const plan = { apiVersion: "bake/plan/v1", lineage: "rootless", version: "1", recipe: { file: join(work, "r.yaml"), root: work, digest: "sha256:0" },
  parent: { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs }, target: { driver: "local", options: { network: "none" } },
  layers, verify: [], labels: {}, vars: {}, secrets: [],
  // A service verify boots: the http check below reaches it inside the sandbox's own network namespace.
  config: { cmd: ["httpd", "-f", "-p", "8080", "-h", "/"] } };
const driver = createDriver();
driver.prepare(plan.target);
let parent = await driver.resolve(plan.parent, ctx);
for (const [i, layer] of layers.entries()) parent = await driver.bake({ ...ctx, plan, parent, layer, layerIndex: i, runId: "rootless", secrets: {} });
const checks = kind === "subordinate"
  ? [{ kind: "run", name: "whoami", script: 'test "$(cat /home/app/whoami)" = 1000 && test "$(stat -c %u:%g /home/app/whoami)" = 1000:1000 && test ! -e /one', env: {}, retries: 0, intervalMs: 10, timeoutMs: 20000 }]
  : [{ kind: "run", name: "files", script: 'test ! -e /one && test "$(cat /two)" = two && test "$(cat /keep)" = keep && test "$(stat -c %u:%g /bin/busybox)" = 0:0', env: {}, retries: 0, intervalMs: 10, timeoutMs: 20000 }];
checks.push({ kind: "run", name: "run check reaches the service", script: "wget -qO- http://127.0.0.1:8080/etc/passwd | grep -q root:x:0:0", env: {}, retries: 40, intervalMs: 200, timeoutMs: 5000 });
checks.push({ kind: "http", name: "service", url: "http://127.0.0.1:8080/etc/passwd", status: 200, bodyContains: "root:x:0:0", env: {}, retries: 40, intervalMs: 200, timeoutMs: 5000 });
const verify = await driver.verify({ ...ctx, plan, image: parent, checks, runId: "rootless", secrets: {} });
console.log(JSON.stringify({ uid: process.getuid(), mapping: currentIdMapping().kind, image: parent.id, verify, runs: readdirSync(join(work, "store", "runs")) }));
`;

describe.skipIf(!isRoot)("rootless sandboxes (an unprivileged user)", () => {
  let lib: string;
  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), "bake-rootless-lib-"));
    transpileDriver(out);
    writeFileSync(join(out, "inner.mjs"), INNER);
    chmodSync(out, 0o755);
    lib = out;
  });

  function runAs(user: string, { uid, gid }: { uid: number; gid: number }, kind: string, rootfs?: string) {
    const work = mkdtempSync(join(tmpdir(), `bake-${kind}-`));
    chownSync(work, uid, gid);
    let stdout: string;
    try {
      stdout = execFileSync(
        "setpriv",
        [
          "--reuid",
          String(uid),
          "--regid",
          String(gid),
          "--clear-groups",
          "--reset-env",
          process.execPath,
          join(lib, "inner.mjs"),
          lib,
          work,
          kind,
          ...(rootfs ? [rootfs] : []),
        ],
        {
          encoding: "utf8",
          timeout: 120_000,
          env: { PATH: process.env.PATH, HOME: work, USER: user, LOGNAME: user },
        },
      );
    } catch (error) {
      throw new Error(
        `the build as ${user} failed:\n${(error as { stderr?: string }).stderr ?? String(error)}`,
      );
    }
    return { work, result: JSON.parse(stdout.trim().split("\n").at(-1) as string) };
  }

  test("builds and verifies a two-layer image as a user without subordinate ids, on a rootfs owned by the host's root", () => {
    const ids = ensureUser("bake-single", false);
    const { uid } = ids;
    const rootfs = makeBusyboxRootfs();
    chmodSync(rootfs, 0o755);
    const { work, result } = runAs("bake-single", ids, "single", rootfs);
    expect(result).toMatchObject({ uid, mapping: "single", verify: { ok: true }, runs: [] });
    expect(result.verify.checks).toContainEqual(expect.objectContaining({ name: "service", ok: true }));
    expect(result.verify.checks).toContainEqual(
      expect.objectContaining({ name: "run check reaches the service", ok: true }),
    );
    expect(statSync(join(work, "store", "blobs")).uid).toBe(uid);
  });

  test("builds a two-layer image with several owners as a user with subordinate ids, as podman maps them", () => {
    const ids = ensureUser("bake-subids", true);
    const { uid } = ids;
    const { result } = runAs("bake-subids", ids, "subordinate");
    expect(result).toMatchObject({ uid, mapping: "subordinate", verify: { ok: true }, runs: [] });
    expect(result.verify.checks).toContainEqual(expect.objectContaining({ name: "service", ok: true }));
    expect(result.verify.checks).toContainEqual(
      expect.objectContaining({ name: "run check reaches the service", ok: true }),
    );
  });
});
