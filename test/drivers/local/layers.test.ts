import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { describe, expect, test } from "vitest";
import type { Artifact } from "../../../src/drivers/driver.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { Store } from "../../../src/drivers/local/store.js";
import { readTar } from "../../../src/drivers/local/tar-reader.js";
import type { PlannedStep } from "../../../src/plan/types.js";
import { check, layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-layers-"));
const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
mkdirSync(join(rootfs, "usr/share/doc/old"), { recursive: true });
writeFileSync(join(rootfs, "usr/share/doc/old/README"), "old\n");
const storeDir = join(work, "store");

function ctx(env: Record<string, string> = {}) {
  return {
    cwd: work,
    env: { BAKE_STORE: storeDir, ...env },
    signal: new AbortController().signal,
    reporter: recordingReporter(),
  };
}

async function bakeOne(
  steps: PlannedStep[],
  options: {
    runId?: string;
    env?: Record<string, string>;
    parent?: Artifact;
    target?: Record<string, unknown>;
  } = {},
) {
  const driver = createDriver();
  const base =
    options.parent ??
    (await driver.resolve({ kind: "external", ref: "dir:./rootfs", scheme: "dir", location: rootfs }, ctx()));
  const p = plan({ root: work, layers: [layer("only", steps)], options: options.target });
  const reporter = recordingReporter();
  const artifact = await driver.bake({
    ...ctx(options.env),
    reporter,
    plan: p,
    parent: base,
    layer: p.layers[0]!,
    layerIndex: 0,
    runId: options.runId ?? "t",
    secrets: {},
  });
  return { driver, artifact, reporter, plan: p };
}

async function layerEntries(artifact: Artifact): Promise<string[]> {
  const store = await Store.open(storeDir);
  const image = await store.requireImage(artifact.id);
  const top = image.manifest.layers.at(-1)!;
  const names: string[] = [];
  for await (const entry of readTar(createReadStream(store.blobPath(top.digest)).pipe(createGunzip()))) {
    names.push(
      `${entry.header.name} ${entry.header.uid}:${entry.header.gid} ${entry.header.mode.toString(8)}`,
    );
  }
  return names;
}

describe("layers", () => {
  test("turns deletions into .wh. entries and a recreated directory into an opaque marker", async () => {
    const {
      driver,
      artifact,
      plan: p,
    } = await bakeOne([
      run(
        "rm /etc/base-release && rm -rf /usr/share/doc && mkdir /usr/share/doc && echo new > /usr/share/doc/NEW",
      ),
    ]);
    const names = await layerEntries(artifact);
    expect(names).toContain("etc/.wh.base-release 0:0 0");
    expect(names).toContain("usr/share/doc/.wh..wh..opq 0:0 0");
    expect(names).toContain("usr/share/doc/NEW 0:0 644");
    const result = await driver.verify({
      ...ctx(),
      plan: p,
      image: artifact,
      runId: "t",
      secrets: {},
      checks: [
        check({ kind: "file", path: "/etc/base-release", exists: false }),
        check({ kind: "run", script: "test ! -e /usr/share/doc/old/README && test -e /etc/passwd", env: {} }),
        check({ kind: "file", path: "/usr/share/doc/NEW", exists: true, contains: "new" }),
        check({ kind: "file", path: "/usr/share/doc/old/README", exists: false }),
      ],
    });
    expect(result.checks.map((c) => c.ok)).toEqual([true, true, true, true]);
  });

  test("gives the same layer digest for the same inputs, whatever the time", async () => {
    const steps = [
      run("mkdir -p /opt/x && date > /dev/null && echo same > /opt/x/file && touch /opt/x/empty"),
    ];
    const first = await bakeOne(steps, { runId: "a" });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await bakeOne(steps, { runId: "b" });
    expect(second.artifact.id).toBe(first.artifact.id);
    expect(second.artifact.details?.layer).toBe(first.artifact.details?.layer);
    const epoch = { SOURCE_DATE_EPOCH: "1700000000" };
    const clamped = await bakeOne(steps, { runId: "c", env: epoch });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const clampedAgain = await bakeOne(steps, { runId: "d", env: epoch });
    expect(clampedAgain.artifact.details?.layer).toBe(clamped.artifact.details?.layer);
    expect(clamped.artifact.details?.layer).not.toBe(first.artifact.details?.layer);
  });

  test("copies files and directories with mode and owner, and writes file steps", async () => {
    const src = join(work, "src");
    mkdirSync(join(src, "sub"), { recursive: true });
    writeFileSync(join(src, "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    writeFileSync(join(src, "sub/data.txt"), "data\n", { mode: 0o600 });
    const steps: PlannedStep[] = [
      {
        kind: "copy",
        title: "copy src",
        from: "src",
        to: "/opt/app",
        owner: "app",
        entries: [
          { path: "run.sh", type: "file", mode: 0o755 },
          { path: "sub", type: "dir", mode: 0o755 },
          { path: "sub/data.txt", type: "file", mode: 0o600 },
        ],
      },
      {
        kind: "copy",
        title: "copy one",
        from: "src/run.sh",
        to: "/usr/local/bin/",
        mode: 0o700,
        entries: [],
      },
      {
        kind: "file",
        title: "file",
        path: "/etc/app.conf",
        content: "port=8080\n",
        mode: 0o640,
        owner: "0:1000",
      },
    ];
    const { artifact } = await bakeOne(steps);
    const names = await layerEntries(artifact);
    expect(names).toEqual(
      expect.arrayContaining([
        "opt/app/ 1000:1000 755",
        "opt/app/run.sh 1000:1000 755",
        "opt/app/sub/data.txt 1000:1000 600",
        "usr/local/bin/run.sh 0:0 700",
        "etc/app.conf 0:1000 640",
      ]),
    );
    expect(names).not.toContain(expect.stringMatching(/^etc\/passwd/));
  });

  test("reports a failing step with its exit code, streams its output, and leaves no scratch behind", async () => {
    const attempt = bakeOne([run("echo before; exit 7")], { runId: "fail" });
    await expect(attempt).rejects.toMatchObject({
      code: "step-failed",
      exitCode: 1,
      message: expect.stringContaining("code 7"),
    });
    expect(readdirSync(join(storeDir, "runs"))).toEqual([]);
    expect(readdirSync(join(storeDir, "tmp"))).toEqual([]);
  });

  test("never executes a variable's value: it reaches the script only as an environment variable", async () => {
    const hostile = "$(touch /owned-subst); `touch /owned-tick`; touch /owned-semi";
    const { artifact } = await bakeOne([
      { kind: "run", title: "echo", script: 'printf "%s" "$APP_NOTE" > /note', env: { APP_NOTE: hostile } },
      {
        kind: "run",
        title: "argv",
        argv: ["/bin/sh", "-c", 'printf "%s" "$1" > /note2', "sh", hostile],
        env: {},
      },
    ]);
    const names = (await layerEntries(artifact)).map((line) => line.split(" ")[0]);
    expect(names).toEqual(["note", "note2"]);
  });

  test("creates a missing working directory, as a Dockerfile WORKDIR does", async () => {
    const { artifact } = await bakeOne([
      { kind: "run", title: "pwd", script: "pwd > here", env: {}, workdir: "/srv/app" },
    ]);
    expect(await layerEntries(artifact)).toEqual([
      "srv/ 0:0 755",
      "srv/app/ 0:0 755",
      "srv/app/here 0:0 644",
    ]);
  });

  test("kills a step at its timeout and fails the build", async () => {
    const attempt = bakeOne([{ kind: "run", title: "slow", script: "sleep 30", env: {}, timeoutMs: 300 }], {
      runId: "slow",
    });
    await expect(attempt).rejects.toMatchObject({ code: "step-timeout", exitCode: 1 });
  });

  test("gives network: none sandboxes only a loopback interface (up when the host has iproute2)", async () => {
    const loUp = existsSync("/usr/sbin/ip") || existsSync("/sbin/ip") || existsSync("/usr/bin/ip");
    const script = `${loUp ? 'ip -o link | grep -q " lo:.*UP" && ' : ""}test "$(ip -o link | grep -vc " lo:")" = 0`;
    const { reporter } = await bakeOne([run(script)], { target: { network: "none" }, runId: "net" });
    expect(reporter.events.some((event) => event.type === "step-finished" && event.ok)).toBe(true);
    const host = bakeOne([run(script)], { runId: "net-host" });
    await expect(host).rejects.toMatchObject({ code: "step-failed" });
  });
});
