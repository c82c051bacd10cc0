// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { findInterpolations } from "../../src/recipe/interpolation.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const file = join(import.meta.dirname, "recipe.yaml");
const head =
  'apiVersion: bake/v1\nname: web\nfrom: scratch\nvars:\n  v: { default: "1.2.3" }\n  t: { secret: true }\n';
const layers = (step: string) => `layers:\n  - name: app\n    steps:\n      - ${step}\n`;

function errors(text: string) {
  return validateRecipe(head + text, { file, checkFiles: false }).errors.map((e) => ({
    code: e.code,
    message: e.message,
    hint: e.hint,
    at: `${e.location?.line}:${e.location?.col}`,
  }));
}

describe("the one syntax of a variable reference", () => {
  test("is `${vars.NAME}` exactly; spaced, empty and unclosed look-alikes are found as malformed", () => {
    const found = findInterpolations("${vars.v} ${ vars.v } ${vars.v } ${vars} ${vars.} ${vars.v");
    expect(found.map((use) => [use.text, use.name, use.wellFormed])).toEqual([
      ["${vars.v}", "v", true],
      ["${ vars.v }", "v", false],
      ["${vars.v }", "v", false],
      ["${vars}", "", false],
      ["${vars.}", "", false],
      ["${vars.v", "v", false],
    ]);
  });

  test("leaves shell forms of a variable called vars to file content, but counts them in a script", () => {
    expect(findInterpolations('echo "${vars[@]}" ${vars:-x}')).toEqual([]);
    expect(findInterpolations('echo "${vars[@]}"', { script: true }).map((use) => use.text)).toEqual([
      "${vars[@]}",
    ]);
  });
});

describe("validation of references", () => {
  test("refuses `${ vars.v }` in a plain field at its file:line:col, with the hint to write `${vars.v}`", () => {
    expect(
      errors(`version: "\${ vars.v }"\nlabels: { a: "\${vars.v }" }\n${layers("run: echo hi")}`),
    ).toEqual([
      {
        code: "unknown-interpolation",
        message: "`${ vars.v }` is not a variable reference bake can read",
        hint: "write `${vars.v}`, with no spaces",
        at: "7:11",
      },
      {
        code: "unknown-interpolation",
        message: "`${vars.v }` is not a variable reference bake can read",
        hint: "write `${vars.v}`, with no spaces",
        at: "8:15",
      },
    ]);
  });

  test("refuses a spaced reference to a secret in env, which would otherwise never reach the step", () => {
    const found = errors(layers('run: echo "$T"\n        env: { T: "${ vars.t }" }'));
    expect(found.map((e) => [e.code, e.hint])).toEqual([
      ["unknown-interpolation", "write `${vars.t}`, with no spaces"],
    ]);
  });

  test("refuses `${vars}` and an unclosed `${vars.v` rather than passing them through as text", () => {
    const found = errors(`labels: { a: "\${vars}", b: "x-\${vars.v" }\n${layers("run: echo hi")}`);
    expect(found.map((e) => e.message)).toEqual([
      "`${vars}` is not a variable reference bake can read",
      "`${vars.v` is not a variable reference bake can read",
    ]);
  });

  test("accepts well-formed references and a shell array called vars in file content", () => {
    expect(
      errors(
        `version: "\${vars.v}"\n${layers('file: { path: /x.sh, content: "for v in \\"${vars[@]}\\"; do :; done; ${vars.t}" }')}`,
      ),
    ).toEqual([]);
  });
});
