// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDiagnostics } from "../../src/recipe/diagnostics.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";
import type { WrittenRecipe } from "../../src/recipe/written.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bake-validate-tools-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TEXT = `apiVersion: bake/v1
name: web
from: base@stable
layers:
  - name: app
    steps:
      - copy:
          from: site/
          to: /srv/
`;

const OBJECT: WrittenRecipe = {
  apiVersion: "bake/v1",
  name: "web",
  from: "base@stable",
  layers: [{ name: "app", steps: [{ copy: { from: "site/", to: "/srv/" } }] }],
};

describe("validateRecipe for tools", () => {
  it("accepts a written recipe object as well as text", async () => {
    await writeFile(path.join(dir, "site"), "x");
    const fromObject = validateRecipe(OBJECT, { file: "recipe.yaml", cwd: dir });
    const fromText = validateRecipe(TEXT, { file: "recipe.yaml", cwd: dir });
    expect(fromObject.errors).toEqual([]);
    expect(fromObject.recipe).toEqual(fromText.recipe);
  });

  it("reports an object's problems with their paths and without positions", () => {
    const broken = { ...OBJECT, name: "Web", layerz: [] } as unknown as WrittenRecipe;
    const { errors } = validateRecipe(broken, { file: "recipe.yaml", cwd: dir, checkFiles: false });
    expect(errors.map((e) => [e.code, e.path, e.severity])).toEqual([
      ["bad-format", "/name", "error"],
      ["unknown-key", "/layerz", "error"],
    ]);
    for (const error of errors) expect(error).not.toHaveProperty("location");
  });

  it("checks that copy sources exist only when filesystem checks are on", () => {
    const checked = validateRecipe(TEXT, { file: "recipe.yaml", cwd: dir });
    expect(checked.errors.map((e) => e.code)).toEqual(["copy-missing"]);
    const unchecked = validateRecipe(TEXT, { file: "recipe.yaml", cwd: dir, checkFiles: false });
    expect(unchecked.errors).toEqual([]);
    expect(unchecked.recipe?.name).toBe("web");
  });

  it("still refuses a source that leaves the directory without filesystem checks", () => {
    const { errors } = validateRecipe(TEXT.replace("from: site/", "from: ../site/"), {
      file: "recipe.yaml",
      cwd: dir,
      checkFiles: false,
    });
    expect(errors.map((e) => e.code)).toEqual(["copy-outside-root"]);
  });

  it("gives each diagnostic a severity, a JSON pointer, and where it starts and ends", () => {
    const { errors } = validateRecipe(TEXT, { file: "recipe.yaml", cwd: dir });
    expect(errors[0]).toMatchObject({
      code: "copy-missing",
      severity: "error",
      path: "/layers/0/steps/0/copy/from",
      location: { file: "recipe.yaml", line: 8, col: 17 },
      end: { line: 8, col: 22 },
    });
  });

  it("reports schema and semantic problems together, sorted by position", () => {
    const text = TEXT.replace("name: web", "name: Web").replace(
      "      - copy:",
      "      - run: echo ${vars.nope}\n      - copy:",
    );
    const { errors } = validateRecipe(text, { file: "recipe.yaml", cwd: dir });
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ["bad-format", 2],
      ["script-interpolation", 7],
      ["copy-missing", 9],
    ]);
  });

  it("renders diagnostics without options, labelled by their own severity", () => {
    const { errors } = validateRecipe(TEXT, { file: "recipe.yaml", cwd: dir });
    const warning = {
      ...errors[0],
      severity: "warning" as const,
      code: "var-missing" as const,
      message: "later",
    };
    const text = renderDiagnostics([...errors, warning]);
    expect(text).toContain("recipe.yaml:8:17: error: copy source `site/` does not exist");
    expect(text).toContain("recipe.yaml:8:17: warning: later");
    expect(text).not.toContain("\u001b[");
  });
});

describe("severity follows the list a diagnostic is in", () => {
  it("marks every error `error` and every warning `warning`", () => {
    const text = `%FOO bar\n---\n${TEXT}  - name: more\n    steps:\n      - file: { path: /etc/x, content: x, mode: 644 }\n`;
    const { errors, warnings } = validateRecipe(text, { file: "recipe.yaml", cwd: dir });
    expect(warnings.map((w) => w.code)).toEqual(["yaml-bad-directive", "mode-decimal"]);
    expect(warnings.every((w) => w.severity === "warning")).toBe(true);
    expect(errors.every((e) => e.severity === "error")).toBe(true);
  });
});
