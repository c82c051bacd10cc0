import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIO } from "../helpers/capture-io.js";

const TEMPLATES = ["base", "app", "packer-docker", "gce"];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-init-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(cwd: string) {
  return captureIO({ cwd });
}

describe("bake init", () => {
  it("lists every template with a one-line description and marks the default", async () => {
    const run = capture(dir);
    expect(await main(["init", "--list"], run.io)).toBe(0);
    const lines = run.stdout().trimEnd().split("\n");
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(TEMPLATES);
    expect(lines[0]).toContain("(default)");
    for (const line of lines) expect(line.split(/\s{2,}/)[1]?.length).toBeGreaterThan(20);
  });

  it("writes the base template into the current directory by default", async () => {
    const run = capture(dir);
    expect(await main(["init"], run.io)).toBe(0);
    const recipe = await readFile(path.join(dir, "recipe.yaml"), "utf8");
    expect(recipe).toContain("from: host");
    expect(recipe).toContain("driver: local");
    expect(run.stdout()).toContain("bake validate recipe.yaml");
  });

  it("points the schema modeline at a file that exists from the recipe's directory", async () => {
    const run = capture(dir);
    expect(await main(["init", "--template", "app", "svc"], run.io)).toBe(0);
    const recipe = await readFile(path.join(dir, "svc", "recipe.yaml"), "utf8");
    const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(recipe)?.[1];
    expect(schema).toBeDefined();
    const resolved = path.resolve(dir, "svc", schema as string);
    expect(JSON.parse(await readFile(resolved, "utf8")).$id).toMatch(/^https:\/\//);
  });

  it("prefers the schema of a bake installed in the project", async () => {
    const installed = path.join(dir, "node_modules", "@bakehq", "bake", "schemas");
    await mkdir(installed, { recursive: true });
    await writeFile(path.join(installed, "recipe.schema.json"), "{}");
    const run = capture(dir);
    expect(await main(["init", "deploy/web"], run.io)).toBe(0);
    const recipe = await readFile(path.join(dir, "deploy", "web", "recipe.yaml"), "utf8");
    expect(recipe).toContain(
      "# yaml-language-server: $schema=../../node_modules/@bakehq/bake/schemas/recipe.schema.json\n",
    );
  });

  it("writes the app template's files with their executable modes", async () => {
    const run = capture(dir);
    expect(await main(["init", "--template", "app", "svc"], run.io)).toBe(0);
    expect(await readdir(path.join(dir, "svc", "files", "app"))).toEqual(["hello.sh", "install.sh"]);
    const mode = (await lstat(path.join(dir, "svc", "files", "app", "install.sh"))).mode & 0o777;
    expect(mode & 0o100).toBe(0o100);
    expect(run.stdout()).toContain("files/app/install.sh");
  });

  it("refuses to overwrite an existing file, names it, and writes nothing", async () => {
    await mkdir(path.join(dir, "svc", "files", "app"), { recursive: true });
    await writeFile(path.join(dir, "svc", "files", "app", "hello.sh"), "mine\n");
    const run = capture(dir);
    expect(await main(["init", "--template", "app", "svc"], run.io)).toBe(2);
    expect(run.stderr()).toContain("svc/files/app/hello.sh already exists");
    expect(await readFile(path.join(dir, "svc", "files", "app", "hello.sh"), "utf8")).toBe("mine\n");
    await expect(lstat(path.join(dir, "svc", "recipe.yaml"))).rejects.toThrow();
  });

  it("refuses to run twice in the same directory", async () => {
    expect(await main(["init"], capture(dir).io)).toBe(0);
    const run = capture(dir);
    expect(await main(["init"], run.io)).toBe(2);
    expect(run.stderr()).toContain("recipe.yaml already exists");
  });

  it("notes that a directory named like a template is a directory, not a template", async () => {
    const run = capture(dir);
    expect(await main(["init", "app"], run.io)).toBe(0);
    expect(run.stderr()).toContain("--template app");
    expect(await readFile(path.join(dir, "app", "recipe.yaml"), "utf8")).toContain("from: host");
  });

  it("suggests the nearest template for a typo", async () => {
    const run = capture(dir);
    expect(await main(["init", "--template", "ap"], run.io)).toBe(2);
    expect(run.stderr()).toContain('did you mean "app"');
    expect(run.stderr()).not.toContain("    at ");
  });

  it.each(TEMPLATES)("writes a %s recipe that passes bake validate", async (template) => {
    const target = path.join(dir, template);
    expect(await main(["init", "--template", template, target], capture(dir).io)).toBe(0);
    const run = capture(dir);
    const code = await main(["validate", path.join(target, "recipe.yaml")], run.io);
    expect(run.stderr()).toBe("");
    expect(code).toBe(0);
  });
});
