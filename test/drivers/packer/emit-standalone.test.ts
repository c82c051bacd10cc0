// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${...} literally.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_IMAGE, ensureBaseImage, havePacker, havePackerAndDocker } from "./tools.js";

// The compiled CLI writes the templates; real Packer (and dockerd for builds) runs them as a person would.
const enabled = havePackerAndDocker() || Boolean(process.env.CI);
const repo = path.resolve(import.meta.dirname, "../../..");

const RECIPE = `apiVersion: bake/v1
name: packer-standalone
version: "1"
from: docker://${BASE_IMAGE}
target: { driver: packer, builder: docker }
vars:
  expected: { type: string, default: "hello from the recipe" }
layers:
  - name: base
    steps:
      - run: mkdir -p /opt/demo
  - name: app
    steps:
      - copy: { from: app/, to: /opt/demo/ }
      - copy: { from: note.txt, to: /opt/note.txt }
verify:
  - name: note is there
    file: { path: /opt/note.txt, contains: "a note" }
  - name: greeting matches
    run: test "$(cat /opt/demo/greeting.txt)" = "$EXPECTED"
    env: { EXPECTED: "\${vars.expected}" }
`;

const GCE_RECIPE = `apiVersion: bake/v1
name: packer-gce
version: "1"
from: gce:projects/debian-cloud/global/images/family/debian-12
target:
  driver: packer
  builder: googlecompute
  source: { project_id: bake-test, zone: us-central1-a, ssh_username: bake, skip_create_image: false }
layers:
  - name: only
    steps:
      - run: echo hi
verify:
  - run: "true"
`;

let dir: string;
const images: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-emit-standalone-"));
  await mkdir(path.join(dir, "app/bin"), { recursive: true });
  await writeFile(path.join(dir, "recipe.yaml"), RECIPE);
  await writeFile(path.join(dir, "gce.yaml"), GCE_RECIPE);
  await writeFile(path.join(dir, "app/greeting.txt"), "hello from the recipe");
  await writeFile(path.join(dir, "app/bin/run.sh"), "#!/bin/sh\necho run\n", { mode: 0o755 });
  await writeFile(path.join(dir, "note.txt"), "a note\n");
  if (enabled) ensureBaseImage();
});

afterAll(async () => {
  if (images.length > 0) spawnSync("docker", ["rmi", "-f", ...new Set(images)], { stdio: "ignore" });
  await rm(dir, { recursive: true, force: true });
});

function bake(args: string[]) {
  return execa(process.execPath, [path.join(repo, "bin/bake.js"), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1", NO_COLOR: "1" },
    extendEnv: false,
    reject: false,
  });
}

// Puts back the copy sources the move test took away (once; later calls do nothing).
async function restoreSources(): Promise<void> {
  await rename(path.join(dir, "app-gone"), path.join(dir, "app")).catch(() => undefined);
  await rename(path.join(dir, "note-gone.txt"), path.join(dir, "note.txt")).catch(() => undefined);
}

// The commands the output tells a person to run, one per line, as printed.
function printed(stdout: string, verb: "validate" | "build"): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`packer ${verb} `));
}

function shell(command: string) {
  return execa("sh", ["-c", command], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: "1" },
    extendEnv: false,
    reject: false,
  });
}

// A standalone `packer build -machine-readable` of one template; the image id it made, if any.
async function packerBuild(args: string[]) {
  const result = await execa("packer", ["build", "-machine-readable", ...args], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: "1" },
    extendEnv: false,
    reject: false,
  });
  const id = /,artifact,0,id,(sha256:[0-9a-f]{64})/.exec(result.stdout)?.[1];
  if (id) images.push(id);
  return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}`, id };
}

describe.skipIf(!havePacker() && !process.env.CI)("emitted templates, checked with Packer alone", () => {
  it("pass `packer validate` run exactly as the output prints it, a gce family parent included", async () => {
    for (const [recipe, out] of [
      ["recipe.yaml", "out"],
      ["gce.yaml", "out-gce"],
    ] as const) {
      const emit = await bake(["plan", recipe, "--emit", "packer", out]);
      expect({ code: emit.exitCode, stderr: emit.stderr }).toMatchObject({ code: 0 });
      const commands = printed(emit.stdout, "validate");
      expect(commands.length).toBeGreaterThanOrEqual(2);
      if (recipe === "gce.yaml") {
        expect(commands[0]).toBe(
          "packer validate -var bake_parent=projects/debian-cloud/global/images/family/debian-12 out-gce/01-only.pkr.json",
        );
      }
      for (const command of commands) {
        const result = await shell(command);
        expect({ command, code: result.exitCode, output: `${result.stdout}${result.stderr}` }).toMatchObject({
          command,
          code: 0,
        });
      }
    }
  });

  it("relies on a validate that can fail: without the printed -var, the gce template is refused", async () => {
    const result = await shell("packer validate out-gce/01-only.pkr.json");
    expect(result.exitCode).not.toBe(0);
  });

  it.skipIf(!enabled)(
    "still build after the folder is moved away from the recipe, and a failed check fails `packer build`",
    async () => {
      const emit = await bake(["plan", "recipe.yaml", "--emit", "packer", "out-build"]);
      expect(emit.exitCode).toBe(0);
      expect(emit.stdout).toContain("self-contained");
      const sums = await readFile(path.join(dir, "out-build/SOURCES.sha256"), "utf8");
      expect(sums).toMatch(/^[0-9a-f]{64} {2}02-app\/step-01\.files\/greeting\.txt$/m);
      expect(sums).toMatch(/^[0-9a-f]{64} {2}02-app\/step-02\.files$/m);
      // Move the folder elsewhere, and take the recipe's own copy sources away.
      const moved = await mkdtemp(path.join(tmpdir(), "bake-emit-moved-"));
      const folder = path.join(moved, "templates");
      await rename(path.join(dir, "out-build"), folder);
      await rename(path.join(dir, "app"), path.join(dir, "app-gone"));
      await rename(path.join(dir, "note.txt"), path.join(dir, "note-gone.txt"));
      try {
        expect(spawnSync("sha256sum", ["-c", "--quiet", "SOURCES.sha256"], { cwd: folder }).status).toBe(0);
        const base = await packerBuild([path.join(folder, "01-base.pkr.json")]);
        expect({ code: base.exitCode, output: base.output }).toMatchObject({ code: 0 });
        const app = await packerBuild([
          "-var",
          `bake_parent=${base.id}`,
          path.join(folder, "02-app.pkr.json"),
        ]);
        expect({ code: app.exitCode, output: app.output }).toMatchObject({ code: 0 });
        const content = execFileSync(
          "docker",
          [
            "run",
            "--rm",
            "--network=none",
            app.id as string,
            "sh",
            "-c",
            "cat /opt/demo/greeting.txt /opt/note.txt; stat -c %a /opt/demo/bin/run.sh",
          ],
          { encoding: "utf8" },
        );
        expect(content).toBe("hello from the recipea note\n755\n");

        const passing = await packerBuild([
          "-var",
          `bake_parent=${app.id}`,
          path.join(folder, "verify.pkr.json"),
        ]);
        expect({ code: passing.exitCode, output: passing.output }).toMatchObject({ code: 0 });

        // The same image, checked against another expectation: the check fails, and so does Packer.
        await restoreSources();
        const wrong = await bake([
          "plan",
          "recipe.yaml",
          "--var",
          "expected=something else",
          "--emit",
          "packer",
          "out-wrong",
        ]);
        expect(wrong.exitCode).toBe(0);
        const failing = await packerBuild([
          "-var",
          `bake_parent=${app.id}`,
          path.join(dir, "out-wrong/verify.pkr.json"),
        ]);
        expect(failing.exitCode).not.toBe(0);
        expect(failing.output).toContain("verify check failed: greeting matches");
        expect(failing.output).not.toContain("verify check failed: note is there");
      } finally {
        await restoreSources();
        await rm(moved, { recursive: true, force: true });
      }
    },
    600_000,
  );

  it.skipIf(!enabled)(
    "bake itself still reports every check by name when one fails, and registers nothing",
    async () => {
      const result = await bake([
        "build",
        "recipe.yaml",
        "--var",
        "expected=something else",
        "--manifest",
        "bake.lineage.jsonl",
      ]);
      const output = `${result.stdout}${result.stderr}`;
      expect({ code: result.exitCode, output }).toMatchObject({ code: 1 });
      expect(output).toMatch(/greeting matches/);
      expect(output).toMatch(/note is there/);
      expect(output).not.toMatch(/packer-build-failed|Packer failed/);
      const manifest = await readFile(path.join(dir, "bake.lineage.jsonl"), "utf8").catch(() => "");
      images.push(
        ...manifest
          .split("\n")
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { artifact?: string }).artifact)
          .filter((id): id is string => typeof id === "string"),
      );
      expect(manifest).not.toMatch(/"kind":"image"/);
    },
    600_000,
  );
});
