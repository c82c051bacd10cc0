import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ImageRecord } from "../../src/manifest/types.js";
import { Project } from "../e2e/project.js";
import { bake, recipe, writeTree } from "./tree-fixture.js";

function newest(records: ImageRecord[], lineage: string): ImageRecord {
  const images = records.filter((record) => record.kind === "image" && record.lineage === lineage);
  return images.at(-1) as ImageRecord;
}

describe("bake build DIR (a tree of recipes)", () => {
  let project: Project;
  beforeEach(async () => {
    project = await Project.create();
  });
  afterEach(async () => {
    await project.remove();
  });

  it("builds a three-level tree in order, each child on the exact record its parent got in the run", async () => {
    await writeTree(project);
    const run = await bake(project, ["build", "images", "--json", "--jobs", "2"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = run.lines.at(-1) as {
      type: string;
      tree: string;
      recipes: { lineage: string; status: string }[];
    };
    expect(result.type).toBe("tree-result");
    expect(result.recipes.map((entry) => [entry.lineage, entry.status])).toEqual([
      ["base", "built"],
      ["solo", "built"],
      ["runtime", "built"],
      ["app-a", "built"],
      ["app-b", "built"],
      ["app-c", "built"],
    ]);
    const records = await project.records();
    const base = newest(records, "base");
    const runtime = newest(records, "runtime");
    expect(runtime.parent).toEqual({ record: base.id });
    for (const app of ["app-a", "app-b", "app-c"]) {
      const image = newest(records, app);
      // from: runtime@stable names no channel yet; the tree pins the child to the runtime record it just built.
      expect(image.parent).toEqual({ record: runtime.id });
      expect(image.details?.cascade).toBe(result.tree);
      expect(image.details?.cascadeAfter).toBe(`runtime#${runtime.build}`);
      expect(image.details?.parentRef).toBe("runtime@stable");
    }
    // Every JSON event names its lineage and the tree.
    const events = run.lines.filter((line) => line.type !== "tree-result");
    expect(events.length).toBeGreaterThan(20);
    expect(events.every((event) => typeof event.lineage === "string" && event.tree === result.tree)).toBe(
      true,
    );
  });

  it("runs independent apps at the same time under --jobs 2", async () => {
    await writeTree(project);
    const run = await bake(project, ["build", "images", "--json", "--jobs", "2"]);
    expect(run.code).toBe(0);
    const span = (lineage: string) => {
      const own = run.lines.filter((line) => line.lineage === lineage);
      const start = Date.parse(own.find((line) => line.type === "build-started")?.time as string);
      const end = Date.parse(own.find((line) => line.type === "build-finished")?.time as string);
      return { start, end };
    };
    const a = span("app-a");
    const b = span("app-b");
    expect(a.start).toBeLessThan(b.end);
    expect(b.start).toBeLessThan(a.end);
    // Never more than two at once.
    const c = span("app-c");
    expect(c.start).toBeGreaterThanOrEqual(Math.min(a.end, b.end));
  });

  it("after the base changes, outdated names base, runtime and the apps, and build --outdated rebuilds exactly those", async () => {
    await writeTree(project);
    expect((await bake(project, ["build", "images", "--jobs", "2"])).code).toBe(0);
    const current = await bake(project, ["outdated", "images"]);
    expect(current.code).toBe(0);
    expect(current.stdout).toContain("every image is current (6 recipe(s))");

    const before = await project.records();
    await writeTree(project, { base: "mkdir -p /opt && echo v2 > /opt/base" });
    const stale = await bake(project, ["outdated", "images", "--json"]);
    expect(stale.code).toBe(1);
    const report = JSON.parse(stale.stdout) as {
      recipes: { lineage: string; outdated: boolean; reasons: { code: string }[] }[];
    };
    const reasons = Object.fromEntries(
      report.recipes.map((entry) => [entry.lineage, entry.reasons.map((r) => r.code)]),
    );
    expect(reasons).toEqual({
      base: ["inputs-changed"],
      solo: [],
      runtime: ["parent-outdated"],
      "app-a": ["parent-outdated"],
      "app-b": ["parent-outdated"],
      "app-c": ["parent-outdated"],
    });

    const rebuild = await bake(project, ["build", "--outdated", "images", "--json"]);
    expect(rebuild.code).toBe(0);
    const summary = rebuild.lines.at(-1) as { recipes: { lineage: string; status: string }[] };
    expect(Object.fromEntries(summary.recipes.map((entry) => [entry.lineage, entry.status]))).toEqual({
      base: "built",
      solo: "not-selected",
      runtime: "built",
      "app-a": "built",
      "app-b": "built",
      "app-c": "built",
    });
    const after = await project.records();
    expect(newest(after, "solo").id).toBe(newest(before, "solo").id);
    const base = newest(after, "base");
    const runtime = newest(after, "runtime");
    expect(base.build).toBe(2);
    expect(runtime.parent).toEqual({ record: base.id });
    for (const app of ["app-a", "app-b", "app-c"])
      expect(newest(after, app).parent).toEqual({ record: runtime.id });
    expect((await bake(project, ["outdated", "images"])).code).toBe(0);
  });

  it("skips the descendants of a failed recipe while unrelated ones build, and exits 1 with a summary", async () => {
    await writeTree(project, { runtime: "echo runtime is broken >&2; exit 3" });
    const run = await bake(project, ["build", "images"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/6 recipe\(s\): 2 built, 0 up to date, 3 skipped, 1 failed/);
    expect(run.stdout).toMatch(/failed\s+runtime/);
    for (const app of ["app-a", "app-b", "app-c"]) {
      expect(run.stdout).toMatch(new RegExp(`skipped\\s+${app}\\s+its parent runtime failed`));
    }
    expect(run.stdout).toMatch(/built\s+solo/);
    expect(run.stderr).toContain("error: runtime (images/runtime/recipe.yaml)");
    // Plain lines carry the lineage, so interleaved builds stay readable.
    expect(run.stdout).toMatch(/^\[runtime\] \d\d:\d\d:\d\d\.\d{3} .*exit 3/m);
    const records = await project.records();
    expect(
      records
        .filter((record) => record.kind === "image")
        .map((record) => record.lineage)
        .sort(),
    ).toEqual(["base", "solo"]);
  });

  it("stops everything at the first failure with --fail-fast", async () => {
    await writeTree(project, { base: "exit 4" });
    const run = await bake(project, ["build", "images", "--fail-fast", "--jobs", "1", "--json"]);
    expect(run.code).toBe(1);
    const summary = run.lines.at(-1) as { recipes: { lineage: string; status: string; reason?: string }[] };
    const solo = summary.recipes.find((entry) => entry.lineage === "solo");
    expect(solo?.status).toBe("skipped");
    expect(solo?.reason).toContain("--fail-fast");
  });

  it("appends a table and a Mermaid picture of the tree to the GitHub job summary", async () => {
    await writeTree(project, { runtime: "exit 3" });
    const summary = join(project.dir, "summary.md");
    await writeFile(summary, "earlier step\n");
    const run = await bake(project, ["build", "images"], { GITHUB_STEP_SUMMARY: summary });
    expect(run.code).toBe(1);
    const text = await readFile(summary, "utf8");
    expect(text.startsWith("earlier step\n### bake tree `tree-")).toBe(true);
    expect(text).toMatch(/\| runtime \| \*\*failed\*\* \| /);
    expect(text).toContain("| app-a | skipped | its parent runtime failed |");
    expect(text).toMatch(/```mermaid\nflowchart TD\n[\s\S]*base#1[\s\S]*```\n$/);
  });

  it("refuses a cycle, naming every recipe in it at its from:", async () => {
    await project.write("t/a/recipe.yaml", recipe({ name: "a", from: "b", step: "true" }));
    await project.write("t/b/recipe.yaml", recipe({ name: "b", from: "a", step: "true" }));
    const run = await bake(project, ["build", "t"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "t/a/recipe.yaml:4:7: error: t/a/recipe.yaml is part of a cycle: a -> b -> a",
    );
    expect(run.stderr).toContain(
      "t/b/recipe.yaml:4:7: error: t/b/recipe.yaml is part of a cycle: a -> b -> a",
    );
  });

  it("refuses two recipes for one lineage, naming both files", async () => {
    await project.write("t/one/recipe.yaml", recipe({ name: "web", from: "host", step: "true" }));
    await project.write("t/two/recipe.yaml", recipe({ name: "web", from: "host", step: "true" }));
    const run = await bake(project, ["outdated", "t"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('t/one/recipe.yaml:2:7: error: t/one/recipe.yaml builds lineage "web"');
    expect(run.stderr).toContain(
      't/two/recipe.yaml:2:7: error: t/two/recipe.yaml builds lineage "web", as t/one/recipe.yaml does',
    );
  });

  it("refuses a parent that no recipe builds and the manifest does not hold", async () => {
    await project.write("t/app/recipe.yaml", recipe({ name: "app", from: "missing@stable", step: "true" }));
    const run = await bake(project, ["build", "t"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      't/app/recipe.yaml:4:7: error: from: "missing@stable" names lineage "missing"',
    );
  });
});
