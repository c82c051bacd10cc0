// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { BakeError } from "../../src/errors.js";
import { renderDiagnostics } from "../../src/recipe/diagnostics.js";
import { loadRecipe } from "../../src/recipe/load.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";
import { readVarFile } from "../../src/recipe/var-file.js";
import { YAML_SOUP_TOKENS } from "./yaml-soup-tokens.js";

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
    const soup = fc
      .array(fc.constantFrom(...YAML_SOUP_TOKENS), { maxLength: 40 })
      .map((parts) => parts.join(""));
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

// Hostile bytes (issue 9): encodings, control characters, nesting and long lines spliced into a valid recipe.
const VALID = Buffer.from(
  "apiVersion: bake/v1\nname: web\nfrom: scratch\nvars:\n  v: { type: string, default: x }\nlayers:\n  - name: app\n    steps:\n      - run: echo hi\n        env: { A: b }\n",
);
const hostile: Uint8Array[] = [
  [0xef, 0xbb, 0xbf], // UTF-8 byte order mark
  [0xff, 0xfe], // UTF-16 LE mark
  [0xfe, 0xff], // UTF-16 BE mark
  [0xff, 0xfe, 0x00, 0x00], // UTF-32 LE mark
  [0xe9], // Latin-1 é
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // UTF-16 surrogate in UTF-8
  [0xf5, 0x80, 0x80, 0x80], // past U+10FFFF
  [0x80], // lone continuation byte
  [0xe2, 0x82], // truncated sequence
  [0x00],
  [0x00, 0x61, 0x00, 0x62],
  [0x1b, 0x5b, 0x32, 0x4a], // ESC [2J
  [0x1b, 0x5d, 0x30, 0x3b, 0x58, 0x07], // ESC ]0;X BEL
  [0xc2, 0x9b], // C1 CSI
  [0xe2, 0x80, 0xae], // U+202E right-to-left override
  [0x0d],
  [0x09],
].map((bytes) => Uint8Array.from(bytes));
const nesting = fc.oneof(
  fc.integer({ min: 60, max: 3000 }).map((n) => Buffer.from(`${"[".repeat(n)}${"]".repeat(n)}`)),
  fc.integer({ min: 60, max: 3000 }).map((n) => Buffer.from(`${"{a: ".repeat(n)}1${"}".repeat(n)}`)),
  fc
    .integer({ min: 60, max: 300 })
    .map((n) => Buffer.from(Array.from({ length: n }, (_, i) => `\n${" ".repeat(i + 2)}k:`).join(""))),
  fc.integer({ min: 200, max: 20_000 }).map((n) => Buffer.from("x".repeat(n))),
);
const splice = fc.array(
  fc.tuple(fc.nat({ max: VALID.length }), fc.oneof(fc.constantFrom(...hostile), nesting)),
  { minLength: 1, maxLength: 4 },
);
const hostileFile = fc.oneof(
  splice.map((cuts) => {
    let bytes: Buffer = VALID;
    for (const [at, piece] of cuts) bytes = Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at)]);
    return bytes;
  }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
);

// What the user sees is bake's own diagnostics, printable, in short lines, and soon.
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
let round = 0;

describe("the recipe loader under hostile bytes", () => {
  test("answers with printable bake diagnostics in short lines, never an exception, each within seconds", async () => {
    await fc.assert(
      fc.asyncProperty(hostileFile, async (bytes) => {
        const path = join(dirname(file), `hostile-${round++}.yaml`);
        writeFileSync(path, bytes);
        const started = Date.now();
        const result = await loadRecipe(path);
        // Generous for a shared, loaded machine: unloaded, the slowest inputs (3,000-deep flow lists) take ~0.3 s.
        expect(Date.now() - started).toBeLessThan(3000);
        expect(result.recipe === undefined).toBe(result.errors.length > 0);
        for (const diag of [...result.errors, ...result.warnings]) {
          expect(diag.code).toMatch(/^[a-z][a-z0-9-]*$/);
          expect(diag.message).not.toContain("\n");
          expect(diag.message).not.toMatch(/call stack|Cannot read|undefined/);
        }
        const shown = renderDiagnostics([...result.errors, ...result.warnings], { color: false });
        expect(shown).not.toMatch(CONTROL);
        for (const line of shown.split("\n")) expect(line.length).toBeLessThan(600);
      }),
      { numRuns: 200 },
    );
  }, 180_000);

  test("reads a hostile var file into values or a BakeError, never another exception", async () => {
    await fc.assert(
      fc.asyncProperty(hostileFile, async (bytes) => {
        const path = join(dirname(file), `vars-${round++}.yaml`);
        writeFileSync(path, bytes);
        const outcome = await readVarFile(path, "vars.yaml").then(
          (values) => values,
          (error: unknown) => error,
        );
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(BakeError);
        else expect(typeof outcome).toBe("object");
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
