// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { validateRecipe } from "../../src/recipe/load.js";

const file = join(mkdtempSync(join(tmpdir(), "bake-recipe-prop-")), "recipe.yaml");

// Whatever the input, the loader answers with bake's own diagnostics: it never throws, every error has a code,
// a one-line message and a position, and a recipe comes back exactly when there are no errors.
function expectOnlyDiagnostics(text: string): void {
  const result = validateRecipe(text, { file });
  expect(result.recipe === undefined).toBe(result.errors.length > 0);
  for (const diag of [...result.errors, ...result.warnings]) {
    expect(diag.code).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(diag.message).not.toContain("\n");
    expect(diag.message.length).toBeGreaterThan(0);
    if (diag.location) {
      expect(diag.location.line).toBeGreaterThanOrEqual(1);
      expect(diag.location.col).toBeGreaterThanOrEqual(1);
    }
  }
}

const tokens = [
  "apiVersion: bake/v1\n",
  "name: web\n",
  "from: scratch\n",
  "layers:\n",
  "  - name: app\n",
  "    steps:\n",
  "      - run: echo hi\n",
  "      - copy: { from: x, to: /x }\n",
  "      - file: { path: /a, content: b }\n",
  "verify:\n",
  "  - http: { url: http://127.0.0.1/ }\n",
  "vars:\n",
  "  v: { type: number, default: 1 }\n",
  "${vars.v}",
  "${vars.",
  "&a ",
  "*a",
  "<<: *a\n",
  "- ",
  ": ",
  "  ",
  "\t",
  "{",
  "}",
  "[",
  "]",
  "'",
  '"',
  "#",
  "\n",
  "---\n",
  "!!str ",
  "? ",
  "|\n",
  ">-\n",
  "0755",
  "null",
  "~",
  "true",
  "1e309",
  "__proto__: 1\n",
];

const recipeLike = fc.record(
  {
    apiVersion: fc.oneof(fc.constant("bake/v1"), fc.string()),
    name: fc.oneof(fc.constantFrom("web", "Web", "a-", ""), fc.string()),
    version: fc.oneof(fc.constant("${vars.v}"), fc.string(), fc.integer()),
    from: fc.oneof(
      fc.constantFrom("scratch", "web@stable", "docker://debian", "oci-archive:", "x:y"),
      fc.string(),
    ),
    target: fc.oneof(
      fc.record({ driver: fc.constantFrom("local", "packer", "gce", "other") }),
      fc.dictionary(fc.string(), fc.jsonValue()),
    ),
    vars: fc.dictionary(
      fc.oneof(fc.constant("v"), fc.string()),
      fc.record(
        {
          type: fc.constantFrom("string", "number", "boolean", "date"),
          default: fc.oneof(fc.string(), fc.double(), fc.boolean()),
          enum: fc.array(fc.oneof(fc.string(), fc.integer())),
          pattern: fc.oneof(fc.constantFrom("[", "(a", "^x$", ".*"), fc.string()),
          secret: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    ),
    layers: fc.array(
      fc.record({
        name: fc.oneof(fc.constant("app"), fc.string()),
        steps: fc.array(
          fc.oneof(
            fc.record(
              {
                run: fc.oneof(fc.string(), fc.array(fc.string())),
                timeout: fc.constantFrom("1s", "0s", "99999h", "x"),
              },
              { requiredKeys: ["run"] },
            ),
            fc.record({
              copy: fc.record({
                from: fc.constantFrom(".", "..", "/etc", "missing", "a/../../b"),
                to: fc.string(),
                mode: fc.oneof(fc.string(), fc.integer()),
              }),
            }),
            fc.record({ file: fc.record({ path: fc.string(), content: fc.string() }) }),
            fc.jsonValue(),
          ),
        ),
      }),
    ),
    verify: fc.array(
      fc.oneof(fc.record({ http: fc.record({ url: fc.string() }), interval: fc.string() }), fc.jsonValue()),
    ),
    labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
  },
  { requiredKeys: [] },
);

describe("the recipe loader under random input", () => {
  test("answers arbitrary text with diagnostics, never an exception", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), expectOnlyDiagnostics), {
      numRuns: 200,
    });
  });

  test("keeps the message on one line when a key spans lines (a block-scalar key)", () => {
    const text = "? |\n  v: { type: number, default: 1 }\n";
    expectOnlyDiagnostics(text);
    expect(validateRecipe(text, { file }).errors.map((e) => e.message)).toContain(
      "unknown key `v: { type: number, default: 1 }\\n` in the recipe",
    );
  });

  test("answers YAML-like token soup with diagnostics, never an exception", () => {
    const soup = fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((parts) => parts.join(""));
    fc.assert(fc.property(soup, expectOnlyDiagnostics), { numRuns: 400 });
  });

  test("answers arbitrary values written as YAML or JSON with diagnostics, never an exception", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, asJson) => {
        expectOnlyDiagnostics(asJson ? JSON.stringify(value) : stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  test("answers recipe-shaped values with random parts with diagnostics, never an exception", () => {
    fc.assert(
      fc.property(recipeLike, (value) => expectOnlyDiagnostics(stringify(value))),
      { numRuns: 150 },
    );
  });
});
