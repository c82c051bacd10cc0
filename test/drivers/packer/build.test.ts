// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipe and shell strings spell ${...} literally.
import { execFileSync, spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { captureIO } from "../../helpers/capture-io.js";
import { containersNamed, countingPacker, ensureBaseImage, havePackerAndDocker } from "./tools.js";

// Real Packer and a real dockerd, offline: CI installs both (.ci/run); elsewhere the suite is skipped without them.
const enabled = havePackerAndDocker() || Boolean(process.env.CI);
const fixture = path.resolve(import.meta.dirname, "../../fixtures/packer/two-layer");
const SECRET = "s3cr3t,{{x}}'${y}";

let dir: string;
let log: string;
let wrapper: string;
const images: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  ensureBaseImage();
  dir = await mkdtemp(path.join(tmpdir(), "bake-packer-e2e-"));
  await cp(fixture, dir, { recursive: true });
  log = path.join(dir, "packer-calls.log");
  wrapper = await countingPacker(dir, log);
});

afterAll(async () => {
  if (!enabled) return;
  if (images.length > 0) spawnSync("docker", ["rmi", "-f", ...new Set(images)], { stdio: "ignore" });
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BAKE_VAR_token: SECRET,
    BAKE_PACKER: wrapper,
    CI: "1",
  };
  return captureIO({ cwd: dir, env });
}

async function packerBuilds(): Promise<string[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.startsWith("build "))
    .map((line) => path.basename(line.split(" ").at(-1) ?? ""));
}

interface Line {
  kind?: string;
  artifact?: string;
  layer?: { name: string };
  verify?: { ok: boolean };
  details?: Record<string, string>;
}

async function records(): Promise<Line[]> {
  const text = await readFile(path.join(dir, "bake.lineage.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line)
    .filter((line) => line.kind === "image" || line.kind === "layer");
}

function dockerRun(image: string, script: string): string {
  return execFileSync("docker", ["run", "--rm", "--network=none", image, "sh", "-c", script], {
    encoding: "utf8",
  });
}

describe.skipIf(!enabled)("bake build with target packer and the docker builder", () => {
  it("builds two layers with real Packer, verifies on a fresh container and registers the image", async () => {
    const run = capture();
    const code = await main(["build", "recipe.yaml", "--manifest", "bake.lineage.jsonl"], run.io);
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
    expect(await packerBuilds()).toEqual(["01-base.pkr.json", "02-app.pkr.json", "verify.pkr.json"]);
    const all = await records();
    const image = all.find((record) => record.kind === "image");
    expect(all.filter((record) => record.kind === "layer").map((record) => record.layer?.name)).toEqual([
      "base",
      "app",
    ]);
    expect(image?.verify?.ok).toBe(true);
    expect(image?.details).toMatchObject({
      builder: "docker",
      packerVersion: expect.stringMatching(/^1\.\d+\.\d+$/),
    });
    const artifact = image?.artifact as string;
    expect(artifact).toMatch(/^sha256:[0-9a-f]{64}$/);
    images.push(...all.map((record) => record.artifact as string));
    // What Packer built is exactly what the recipe says, values with quotes and braces included.
    expect(dockerRun(artifact, "cat /opt/demo/greeting /opt/demo/note /opt/demo/argv")).toBe(
      `it's a "quoted", \${odd} {{ .Value }} 100%\nfirst\nargv: a b c'd\n`,
    );
    expect(
      dockerRun(artifact, "cat /etc/demo.token; stat -c %a /etc/demo.token /opt/demo/app/bin/hello.sh"),
    ).toBe(`token=${SECRET}\n600\n755\n`);
    // The committed image keeps its parent's entrypoint and command, not the builder's.
    const config = execFileSync(
      "docker",
      ["image", "inspect", "--format", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", artifact],
      {
        encoding: "utf8",
      },
    );
    expect(config.trim()).toBe('null ["/bin/sh"]');
    expect(run.stdout()).not.toContain(SECRET);
    expect(await readFile(path.join(dir, "bake.lineage.jsonl"), "utf8")).not.toContain("s3cr3t");
  }, 600_000);

  it("rebuilds only the last layer when only its inputs change: Packer builds one layer", async () => {
    await writeFile(log, "");
    const run = capture();
    const code = await main(
      ["build", "recipe.yaml", "--manifest", "bake.lineage.jsonl", "--var", "app_note=second"],
      run.io,
    );
    expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
    expect(await packerBuilds()).toEqual(["02-app.pkr.json", "verify.pkr.json"]);
    const all = await records();
    const latest = all.filter((record) => record.kind === "image").at(-1);
    images.push(...all.map((record) => record.artifact as string));
    expect(dockerRun(latest?.artifact as string, "cat /opt/demo/note /opt/demo/base.txt")).toBe(
      "second\nbase\n",
    );
  }, 600_000);

  it("fails a build whose provisioner fails with exit 1, Packer's error, no record and no leftover container", async () => {
    const recipe = (await readFile(path.join(dir, "recipe.yaml"), "utf8")).replace(
      "      - run: [sh, -c,",
      "      - run: echo about to fail; exit 3\n      - run: [sh, -c,",
    );
    await writeFile(path.join(dir, "failing.yaml"), recipe);
    const before = await records();
    const run = capture();
    const code = await main(["build", "failing.yaml", "--manifest", "bake.lineage.jsonl"], run.io);
    expect(code).toBe(1);
    expect(run.stderr()).toMatch(/exit status: 3/);
    expect(run.stdout()).toContain("about to fail");
    const after = await records();
    expect(after.filter((record) => record.kind === "image")).toHaveLength(
      before.filter((record) => record.kind === "image").length,
    );
    expect(
      after.some(
        (record) => record.kind === "layer" && !before.some((old) => old.artifact === record.artifact),
      ),
    ).toBe(false);
    // Containers of this run are named after its id; none is left, running or stopped.
    const runId = /\(run (bake-[^)]+)\)/.exec(run.stdout())?.[1];
    expect(runId).toBeDefined();
    expect(containersNamed(`bake-${runId}-`)).toEqual([]);
  }, 600_000);
});
