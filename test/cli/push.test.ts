import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBusyboxRootfs } from "../drivers/local/helpers.js";
import { type CliRun, ensureBuilt, runBake } from "../helpers/compiled-cli.js";
import { skopeo, startRegistry, type TestRegistry } from "../helpers/registry.js";

const exec = promisify(execFile);

// A small image whose cmd prints a greeting: `docker run IMAGE` with no arguments shows it ran the recipe's cmd.
const RECIPE = `apiVersion: bake/v1
name: greeter
version: "1.2.0"
from: dir:./rootfs
target: { driver: local, network: none }
vars:
  registry: { type: string, default: "" }
  registry_user: { type: string, default: "" }
  registry_password: { type: string, secret: true, default: "" }
layers:
  - name: greeting
    steps:
      - file: { path: /etc/greeting, content: "hello from greeter 1.2.0\\n" }
config:
  cmd: [cat, /etc/greeting]
  labels: { org.opencontainers.image.description: "a greeter" }
verify:
  - run: grep -q greeter /etc/greeting
`;

const PUBLISHING = `${RECIPE}publish:
  - to: docker://\${vars.registry}/team/greeter:\${vars.registry_user}-1.2.0
    username: \${vars.registry_user}
    password: \${vars.registry_password}
`;

interface Project {
  dir: string;
  bake(args: string[], env?: Record<string, string>): Promise<CliRun>;
}

function project(registry: TestRegistry, recipe = RECIPE): Project {
  const dir = mkdtempSync(join(tmpdir(), "bake-push-"));
  makeBusyboxRootfs(join(dir, "rootfs"));
  writeFileSync(join(dir, "recipe.yaml"), recipe);
  return {
    dir,
    // The registry's client HOME carries registries.conf (plain HTTP is insecure there) and certs.d (TLS).
    bake: (args, env = {}) =>
      runBake(args, {
        cwd: dir,
        env: { CI: "true", NO_COLOR: "1", ...registry.env, ...env },
        timeoutMs: 180_000,
      }),
  };
}

// Everything a run leaves that a secret must never reach: its output, the manifest, and the store's files.
function everywhere(dir: string, runs: CliRun[]): string {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(
      (entry) =>
        entry.isFile() && !entry.parentPath.includes("/layers/") && !entry.parentPath.includes("/blobs/"),
    )
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "latin1"));
  return [...runs.flatMap((run) => [run.stdout, run.stderr]), ...files].join("\n");
}

describe("bake push and publish, against a real docker-registry", () => {
  let plain: TestRegistry;
  let secure: TestRegistry;
  let built: Project;
  let artifact: string;
  beforeAll(async () => {
    await ensureBuilt();
    [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
    built = project(plain);
    const build = await built.bake(["build", "recipe.yaml", "--json"]);
    expect(build.code, build.stderr).toBe(0);
    artifact = JSON.parse(build.stdout.trim().split("\n").at(-1) as string).record.artifact;
  }, 300_000);
  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop()]);
    if (built) await rm(built.dir, { recursive: true, force: true });
  });

  it("pushes an image under its own digest, and skopeo inspect shows its annotations and config", async () => {
    const destination = `docker://${plain.host}/team/greeter:1.2.0`;
    const push = await built.bake(["push", "greeter", destination, "--json"]);
    expect(push.code, push.stderr).toBe(0);
    const { event } = JSON.parse(push.stdout);
    expect(event).toMatchObject({ event: "publish", destination, digest: artifact });
    const inspected = JSON.parse(await skopeo(plain, ["inspect", destination]));
    expect(inspected.Digest).toBe(artifact);
    expect(inspected.Labels).toMatchObject({
      "org.opencontainers.image.title": "greeter",
      "org.opencontainers.image.version": "1.2.0",
      "org.opencontainers.image.base.name": "dir:./rootfs",
      "org.opencontainers.image.description": "a greeter",
      "dev.bake.lineage": "greeter",
    });
    const config = JSON.parse(await skopeo(plain, ["inspect", "--config", destination]));
    expect(config.config.Cmd).toEqual(["cat", "/etc/greeting"]);
    const raw = JSON.parse(await skopeo(plain, ["inspect", "--raw", destination]));
    expect(raw.annotations["org.opencontainers.image.base.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    const show = await built.bake(["show", "greeter"]);
    expect(show.stdout).toMatch(/\n {2}published +docker:/);
    expect(show.stdout).toContain(`${destination} as ${artifact}`);
    const history = await built.bake(["history"]);
    expect(history.stdout).toContain(`pushed: ${destination}`);
  });

  it("gives an image that docker pulls and runs, with no arguments, as the recipe's cmd", async () => {
    const destination = `docker://${plain.host}/team/greeter:docker`;
    expect((await built.bake(["push", "greeter#1", destination])).code).toBe(0);
    const image = `${plain.host}/team/greeter:docker`;
    try {
      await exec("docker", ["pull", "-q", image]);
      const { stdout } = await exec("docker", ["run", "--rm", "--network=none", image]);
      expect(stdout).toBe("hello from greeter 1.2.0\n");
      const { stdout: digests } = await exec("docker", [
        "inspect",
        "--format",
        "{{json .RepoDigests}}",
        image,
      ]);
      expect(JSON.parse(digests)).toContain(`${plain.host}/team/greeter@${artifact}`);
    } finally {
      await exec("docker", ["rmi", "-f", image]).catch(() => undefined);
    }
  });

  it("traces the ancestry from the pushed digest, written as a registry or docker:// reference", async () => {
    for (const ref of [
      `${plain.host}/team/greeter@${artifact}`,
      `docker://${plain.host}/team/greeter@${artifact}`,
    ]) {
      const trace = await built.bake(["trace", ref, "--json"]);
      expect(trace.code, trace.stderr).toBe(0);
      const { chain, base } = JSON.parse(trace.stdout);
      expect(chain[0]).toMatchObject({ lineage: "greeter", artifact });
      expect(chain[0].publications.map((p: { digest: string }) => p.digest)).toContain(artifact);
      expect(base.ref).toBe("dir:./rootfs");
    }
    const unknown = await built.bake(["trace", `${plain.host}/team/greeter@sha256:${"0".repeat(64)}`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("a push (publish event)");
  });

  it("publishes from the recipe after verify and registration, with credentials from secret variables", async () => {
    const secret = secure.auth?.password as string;
    const publishing = project(secure, PUBLISHING);
    try {
      const build = await publishing.bake(
        [
          "build",
          "recipe.yaml",
          "--var",
          `registry=${secure.host}`,
          "--var",
          `registry_user=${secure.auth?.username}`,
        ],
        { BAKE_VAR_registry_password: secret },
      );
      expect(build.code, build.stderr).toBe(0);
      const destination = `docker://${secure.host}/team/greeter:${secure.auth?.username}-1.2.0`;
      expect(build.stdout).toContain(`published ${destination} as sha256:`);
      const manifest = readFileSync(join(publishing.dir, "bake.lineage.jsonl"), "utf8").trim().split("\n");
      const events = manifest.map((line) => JSON.parse(line)).filter((line) => line.event === "publish");
      expect(events).toHaveLength(1);
      const image = manifest.map((line) => JSON.parse(line)).find((line) => line.kind === "image");
      expect(events[0]).toMatchObject({ target: image.id, destination, digest: image.artifact });
      // The registry has it: read back with the registry's own auth file.
      const inspected = JSON.parse(await skopeo(secure, ["inspect", destination]));
      expect(inspected.Digest).toBe(image.artifact);
      expect(everywhere(publishing.dir, [build])).not.toContain(secret);
    } finally {
      await rm(publishing.dir, { recursive: true, force: true });
    }
  });

  it("fails a push with a wrong password with exit 2, records nothing, and shows the password nowhere", async () => {
    const wrong = "not-the-Pa55word-at-all";
    const authFile = join(built.dir, "wrong-auth.json");
    const token = Buffer.from(`${secure.auth?.username}:${wrong}`).toString("base64");
    writeFileSync(authFile, JSON.stringify({ auths: { [secure.host]: { auth: token } } }));
    const before = readFileSync(join(built.dir, "bake.lineage.jsonl"), "utf8");
    const push = await built.bake([
      "push",
      "greeter",
      `docker://${secure.host}/team/greeter:x`,
      "--authfile",
      authFile,
    ]);
    expect(push.code).toBe(2);
    expect(push.stderr).toContain("the registry refused the credentials");
    expect(push.stderr).not.toMatch(/this is a bug|\n\s+at /);
    expect(readFileSync(join(built.dir, "bake.lineage.jsonl"), "utf8")).toBe(before);
    const seen = everywhere(built.dir, [push]).replace(readFileSync(authFile, "latin1"), "");
    expect(seen).not.toContain(wrong);
    expect(seen).not.toContain(token);

    const publishing = project(secure, PUBLISHING);
    try {
      const build = await publishing.bake(
        [
          "build",
          "recipe.yaml",
          "--var",
          `registry=${secure.host}`,
          "--var",
          `registry_user=${secure.auth?.username}`,
        ],
        { BAKE_VAR_registry_password: wrong },
      );
      expect(build.code).toBe(2);
      expect(build.stderr).toContain("is registered");
      expect(build.stderr).toContain("publishing it failed: cannot push");
      expect(build.stderr).toContain("bake push greeter#1 docker://");
      const lines = readFileSync(join(publishing.dir, "bake.lineage.jsonl"), "utf8").trim().split("\n");
      expect(lines.some((line) => line.includes('"kind":"image"'))).toBe(true);
      expect(lines.some((line) => line.includes('"publish"'))).toBe(false);
      expect(everywhere(publishing.dir, [build])).not.toContain(wrong);
    } finally {
      await rm(publishing.dir, { recursive: true, force: true });
    }
  });

  it("fails clearly when the registry is down, and records nothing", async () => {
    const down = await startRegistry();
    await down.stop();
    const before = readFileSync(join(built.dir, "bake.lineage.jsonl"), "utf8");
    const push = await built.bake(["push", "greeter", `docker://${down.host}/team/greeter:1`]);
    expect(push.code).toBe(2);
    expect(push.stderr).toContain(
      `cannot push to docker://${down.host}/team/greeter:1: the registry cannot be reached`,
    );
    expect(readFileSync(join(built.dir, "bake.lineage.jsonl"), "utf8")).toBe(before);
    expect(readdirSync(join(built.dir, ".bake", "tmp"))).toEqual([]);
  });

  it("refuses a destination that is not docker://REGISTRY/REPO:TAG before pushing", async () => {
    for (const destination of [
      "oci:/tmp/x",
      `docker://${plain.host}/team/greeter`,
      "docker://u:p@host/x:1",
    ]) {
      const push = await built.bake(["push", "greeter", destination]);
      expect(push.code).toBe(2);
      expect(push.stderr).toContain("is not a push destination");
    }
  });
});
