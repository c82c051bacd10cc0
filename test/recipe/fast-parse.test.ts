// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell `${vars.NAME}` literally
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fastParse } from "../../src/recipe/fast-yaml/parse.js";
import { parseRecipeFast } from "../../src/recipe/parse.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const file = join(mkdtempSync(join(tmpdir(), "bake-fast-parse-")), "recipe.yaml");
const HEAD = "apiVersion: bake/v1\nname: web\nfrom: scratch\n";

describe("the fast YAML front end", () => {
  test("reads the common recipe subset to plain data", () => {
    const text = [
      "# a recipe",
      "apiVersion: bake/v1",
      "name: web   # the lineage",
      "vars: {}",
      "layers:",
      "- name: app",
      "  steps:",
      "    - run: |",
      "        echo one",
      "",
      "        echo two",
      "    - run: [/bin/echo, 'it''s', \"a\\tb\", 0o17, -1.5, .inf, ~]",
      "    - file: { path: /etc/x, content: a-b }",
      "labels:",
      "  note: >-",
      "    folded",
      "    lines",
      "  count: 0x10",
      "",
    ].join("\n");
    expect(fastParse(text)?.value).toStrictEqual({
      apiVersion: "bake/v1",
      name: "web",
      vars: {},
      layers: [
        {
          name: "app",
          steps: [
            { run: "echo one\n\necho two\n" },
            { run: ["/bin/echo", "it's", "a\tb", 15, -1.5, Number.POSITIVE_INFINITY, null] },
            { file: { path: "/etc/x", content: "a-b" } },
          ],
        },
      ],
      labels: { note: "folded lines", count: 16 },
    });
  });

  test.each([
    ["an anchor and an alias", "a: &x 1\nb: *x\n"],
    ["a tag", "a: !!str 1\n"],
    ["a merge key", "a: {b: 1}\nc:\n  <<: {b: 2}\n"],
    ["a second document", "a: 1\n---\nb: 2\n"],
    ["content on the document start marker's line", "--- a: 1\n"],
    ["a document end marker", "a: 1\n...\n"],
    ["a directive", "%YAML 1.2\n---\na: 1\n"],
    ["a complex key", "? [a]\n: 1\n"],
    ["a tab", "a:\n\tb: 1\n"],
    ["a tab in a comment", "a: 1 #\tx\n"],
    ["a carriage return", "a: 1\r\nb: 2\r\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a duplicate key in a flow mapping", "a: {b: 1, b: 2}\n"],
    ["an empty value", "a:\nb: 1\n"],
    ["an empty sequence item", "a:\n  -\n  - 1\n"],
    ["a key indented past its siblings", "a:\n  b: 1\n   c: 2\n"],
    ["a key indented less than its siblings but past its parent", "a:\n    b: 1\n  c: 2\n"],
    ["a plain scalar over two lines", "a: one\n  two\n"],
    ["a quoted scalar over two lines", 'a: "one\n  two"\n'],
    ["a flow sequence over two lines", "a: [1,\n  2]\n"],
    ["a keep-chomping block scalar", "a: |+\n  x\n\n"],
    ["a block scalar with an indentation indicator", "a: |2\n   x\n"],
    ["a folded scalar with a more-indented line", "a: >\n  x\n    y\n"],
    ["a block scalar with a leading empty line", "a: |\n\n  x\n"],
    ["a block scalar at the end of the text without a newline", "a: |\n  x"],
    ["a number as a key", "1: a\n"],
    ["a boolean as a key", "true: a\n"],
    ["null as a key", "~: a\n"],
    ["__proto__ as a key", "__proto__: {a: 1}\n"],
    ["a mapping on the line of a value", "a: b: c\n"],
    ["a compact nested sequence", "a:\n  - - 1\n"],
    ["a sequence as the document", "- a\n- b\n"],
    ["a scalar as the document", "just text\n"],
    ["a flow mapping as the document", "{a: 1}\n"],
    ["an empty document", "# only a comment\n"],
    ["a rare escape", 'a: "\\e"\n'],
    ["an escaped surrogate", 'a: "\\ud83d\\ude00"\n'],
    ["a control character", "a: x\u0007y\n"],
    ["a non-BMP character", "a: 😀\n"],
    ["a trailing comma in a flow sequence", "a: [1, 2, ]\n"],
    ["a key-value pair inside a flow sequence", "a: [b: c]\n"],
    ["nesting past the fast path's depth", `a: ${"[".repeat(50)}${"]".repeat(50)}\n`],
  ])("bails out to yaml on %s", (_name, text) => {
    expect(fastParse(text)).toBeUndefined();
  });

  test("reads a document start marker before the root mapping", () => {
    expect(fastParse("# recipe\n--- # start\na: 1\n")?.value).toStrictEqual({ a: 1 });
  });

  test("leaves a recipe that may be over the size limit to yaml", () => {
    expect(parseRecipeFast(`${HEAD}description: "${"x".repeat(400_000)}"\n`, file)).toBeUndefined();
  });

  test("parses yaml's document only when something asks for it", () => {
    const parsed = parseRecipeFast(`${HEAD}layers: []\n`, file);
    expect(parsed?.value).toMatchObject({ name: "web" });
    const source = parsed?.source;
    expect(source?.spans).toBeDefined();
    expect(source?.doc.toJS()).toStrictEqual(parsed?.value);
  });
});

describe("validation with the fast front end", () => {
  // A comment holding a tab sends the same recipe down yaml's path (the fast path bails on tabs) without changing
  // its data or any position before it.
  const viaYaml = (text: string) => validateRecipe(`${text}#\tslow path\n`, { file });

  test("warns exactly as the yaml path does, at the same positions, with secret defaults masked", () => {
    const text = [
      HEAD.trimEnd(),
      "vars:",
      "  token: { type: string, secret: true, default: hunter2 }",
      "  re:",
      "    type: number",
      "    pattern: '^[0-9]+$'",
      "    default: 3",
      "layers:",
      "  - name: app",
      "    steps:",
      "      - copy: { from: ., to: /app, mode: 755 }",
      "      - file:",
      "          path: /etc/app.conf",
      '          content: "token=${vars.token}"',
      "          mode: 0644",
      "",
    ].join("\n");
    const fast = validateRecipe(text, { file });
    const slow = viaYaml(text);
    expect(fast.errors).toEqual([]);
    expect(fast.warnings.map((w) => w.code).sort()).toEqual([
      "mode-decimal",
      "secret-default",
      "var-pattern-ignored",
    ]);
    expect(fast.warnings).toStrictEqual(slow.warnings);
    expect(fast.warnings.map((w) => w.excerpt).join("\n")).not.toContain("hunter2");
    expect(fast.recipe).toStrictEqual({ ...slow.recipe });
    // `0644` is a YAML 1.2 decimal number; the written text makes it octal, as on the yaml path.
    const fileStep = fast.recipe?.layers[0]?.steps[1];
    expect(fileStep).toMatchObject({ kind: "file", mode: 0o644 });
  });

  test("reports errors from yaml's nodes, exactly as without the fast path", () => {
    const text = `${HEAD}layers:\n  - name: app\n    steps:\n      - run: echo \${vars.nope}\n  - name: db\n    steps:\n      - run: echo\n        tiemout: 5m\n`;
    const fast = validateRecipe(text, { file });
    expect(fast.errors.map((e) => e.code).sort()).toEqual(["script-interpolation", "unknown-key"]);
    expect(fast).toStrictEqual(viaYaml(text));
  });
});
