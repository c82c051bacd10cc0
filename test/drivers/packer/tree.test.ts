import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageRecord } from "../../../src/manifest/types.js";
import { bake } from "../../cli/tree-fixture.js";
import { Project } from "../../e2e/project.js";
import { BASE_IMAGE, ensureBaseImage, havePackerAndDocker } from "./tools.js";

function packerRecipe(options: { name: string; from: string; step: string }): string {
  return [
    "apiVersion: bake/v1",
    `name: ${options.name}`,
    'version: "1.0.0"',
    `from: ${options.from}`,
    "target: { driver: packer, builder: docker }",
    "layers:",
    "  - name: main",
    "    steps:",
    `      - run: ${JSON.stringify(options.step)}`,
    "verify:",
    `  - run: test -f /opt/${options.name}`,
    "",
  ].join("\n");
}

describe.runIf(havePackerAndDocker())("a tree build with the packer driver", () => {
  let project: Project;
  beforeAll(async () => {
    ensureBaseImage();
    project = await Project.create();
  });
  afterAll(async () => {
    await project.remove();
  });

  it("builds base then app with real Packer, the app on the exact base record of the run", async () => {
    await project.write(
      "images/base/recipe.yaml",
      packerRecipe({
        name: "pk-base",
        from: `docker://${BASE_IMAGE}`,
        step: "mkdir -p /opt && touch /opt/pk-base",
      }),
    );
    await project.write(
      "images/app/recipe.yaml",
      packerRecipe({
        name: "pk-app",
        from: "pk-base@stable",
        step: "test -f /opt/pk-base && touch /opt/pk-app",
      }),
    );
    const run = await bake(project, ["build", "images", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const summary = run.lines.at(-1) as { recipes: { lineage: string; status: string }[] };
    expect(summary.recipes.map((entry) => [entry.lineage, entry.status])).toEqual([
      ["pk-base", "built"],
      ["pk-app", "built"],
    ]);
    const records = await project.records();
    const image = (lineage: string) =>
      records.filter((record) => record.kind === "image" && record.lineage === lineage).at(-1) as ImageRecord;
    expect(image("pk-base").driver).toBe("packer");
    expect(image("pk-app").parent).toEqual({ record: image("pk-base").id });
    expect(image("pk-app").details?.cascadeAfter).toBe("pk-base#1");

    const again = await bake(project, ["outdated", "images"]);
    expect(again.code).toBe(0);
  }, 300_000);
});
