import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Project } from "../e2e/project.js";
import { bake, recipe, writeTree } from "./tree-fixture.js";

describe("bake plan DIR and bake history --format", () => {
  let project: Project;
  beforeEach(async () => {
    project = await Project.create();
    await writeTree(project);
  });
  afterEach(async () => {
    await project.remove();
  });

  it("prints the tree's graph as deterministic JSON: nodes in build order, edges, stale reasons and layers", async () => {
    const first = await bake(project, ["plan", "images", "--json"]);
    expect(first.code).toBe(0);
    const again = await bake(project, ["plan", "images", "--json"]);
    expect(again.stdout).toBe(first.stdout);
    const plan = JSON.parse(first.stdout) as {
      nodes: {
        lineage: string;
        stage: number;
        outdated: boolean;
        reasons: { code: string }[];
        layers: { name: string }[];
      }[];
      edges: { parent: string; child: string }[];
    };
    expect(plan.nodes.map((node) => [node.lineage, node.stage])).toEqual([
      ["base", 0],
      ["solo", 0],
      ["runtime", 1],
      ["app-a", 2],
      ["app-b", 2],
      ["app-c", 2],
    ]);
    expect(plan.edges).toEqual([
      { parent: "base", child: "runtime" },
      { parent: "runtime", child: "app-a" },
      { parent: "runtime", child: "app-b" },
      { parent: "runtime", child: "app-c" },
    ]);
    expect(plan.nodes.every((node) => node.outdated && node.reasons[0]?.code === "no-image")).toBe(true);
    expect(plan.nodes[0]?.layers.map((layer) => layer.name)).toEqual(["main"]);
  });

  it("writes a GitHub matrix per stage, and with --outdated only the stale recipes, renumbered", async () => {
    const all = JSON.parse((await bake(project, ["plan", "images", "--matrix", "github"])).stdout);
    expect(all.stages).toBe(3);
    expect(all.stage0.include).toEqual([
      { lineage: "base", recipe: "images/base/recipe.yaml" },
      { lineage: "solo", recipe: "images/solo.bake.yaml" },
    ]);
    expect(all.stage2.include.map((job: { lineage: string }) => job.lineage)).toEqual([
      "app-a",
      "app-b",
      "app-c",
    ]);

    expect((await bake(project, ["build", "images"])).code).toBe(0);
    await project.write(
      "images/runtime/recipe.yaml",
      recipe({ name: "runtime", from: "base", step: "touch /opt/runtime /opt/v2" }),
    );
    const stale = JSON.parse(
      (await bake(project, ["plan", "images", "--matrix", "github", "--outdated"])).stdout,
    );
    expect(stale.stages).toBe(2);
    expect(stale.stage0.include).toEqual([{ lineage: "runtime", recipe: "images/runtime/recipe.yaml" }]);
    expect(stale.stage1.include.map((job: { lineage: string }) => job.lineage)).toEqual([
      "app-a",
      "app-b",
      "app-c",
    ]);
  });

  it("writes a GitLab child pipeline whose jobs need their parent's job", async () => {
    const run = await bake(project, ["plan", "images", "--matrix", "gitlab"]);
    expect(run.code).toBe(0);
    const pipeline = parse(run.stdout) as Record<
      string,
      { stage?: string; needs?: string[]; script?: string[] }
    > & {
      stages: string[];
    };
    expect(pipeline.stages).toEqual(["bake-0", "bake-1", "bake-2"]);
    expect(pipeline["bake:runtime"]).toEqual({
      stage: "bake-1",
      needs: ["bake:base"],
      script: ["npx bake build images/runtime/recipe.yaml"],
    });
    expect(pipeline["bake:app-b"]?.needs).toEqual(["bake:runtime"]);
    expect(pipeline["bake:base"]?.needs).toEqual([]);
  });

  it("refuses an unknown matrix format", async () => {
    const run = await bake(project, ["plan", "images", "--matrix", "jenkins"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("use --matrix github or --matrix gitlab");
  });

  it("draws the lineage tree as Mermaid and DOT, marking revoked and outdated images and channels", async () => {
    expect((await bake(project, ["build", "images"])).code).toBe(0);
    expect((await bake(project, ["promote", "app-a", "stable"])).code).toBe(0);
    // A new base build leaves runtime (built on base#1) outdated.
    await project.write(
      "images/base/recipe.yaml",
      recipe({ name: "base", from: "host", step: "mkdir -p /opt && echo v2 > /opt/base" }),
    );
    expect((await bake(project, ["build", "images/base/recipe.yaml"])).code).toBe(0);
    expect((await bake(project, ["revoke", "app-b", "--reason", 'bad"] --> x["pwned'])).code).toBe(0);

    const mermaid = (await bake(project, ["history", "--format", "mermaid"])).stdout;
    expect(mermaid.startsWith("flowchart TD\n")).toBe(true);
    const id = (lineage: string, build: number) =>
      new RegExp(`^ {2}(i[0-9a-f]{12})\\["${lineage}#${build}<br/>`, "m").exec(mermaid)?.[1] as string;
    const runtime = id("runtime", 1);
    expect(runtime).toBeDefined();
    expect(mermaid).toContain(`${id("base", 1)} --> ${runtime}`);
    expect(mermaid).toContain(`${runtime} --> ${id("app-a", 1)}`);
    expect(mermaid).toMatch(/app-a#1<br\/>1\.0\.0<br\/>@stable"\]/);
    expect(mermaid).toMatch(new RegExp(`class [^\\n]*${runtime}[^\\n]* outdated`));
    expect(mermaid).toMatch(new RegExp(`class ${id("app-b", 1)} revoked`));
    expect(mermaid).toMatch(/\[\("host"\)\]/);

    const dot = (await bake(project, ["history", "--format", "dot"])).stdout;
    expect(dot).toMatch(/^digraph lineage \{/);
    expect(dot).toContain('label="app-a#1\\n1.0.0\\n@stable"');
    expect(dot).toMatch(/label="app-b#1\\n1\.0\.0 \(revoked\)", style="filled,dashed"/);
  });

  it("escapes what a manifest holds so a label cannot break out of a picture", async () => {
    await project.write(
      "v/recipe.yaml",
      recipe({
        name: "odd",
        from: "host",
        step: "mkdir -p /opt && touch /opt/odd",
        version: '1"] --> evil["x',
      }),
    );
    expect((await bake(project, ["build", "v/recipe.yaml"])).code).toBe(0);
    const mermaid = (await bake(project, ["history", "--format", "mermaid"])).stdout;
    expect(mermaid).not.toContain("evil[");
    expect(mermaid).toContain("1#34;#93; --#62; evil#91;#34;x");
    const dot = (await bake(project, ["history", "--format", "dot"])).stdout;
    expect(dot).toContain('label="odd#1\\n1\\"] --> evil[\\"x"');
  });
});
