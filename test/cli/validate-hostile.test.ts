// biome-ignore-all lint/suspicious/noControlCharactersInRegex: these tests look for control characters in output
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes and messages spell ${vars.NAME} literally.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, runBake } from "../helpers/compiled-cli.js";

// Regression tests for hostile recipes and var files (issue 9, items 4-8): each runs the compiled CLI as a
// separate process, as a user would.
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "bake-hostile-"));
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEAD = "apiVersion: bake/v1\nname: web\nfrom: scratch\n";
const LAYERS = "layers:\n  - name: app\n    steps:\n      - run: echo hi\n";

async function write(name: string, content: string | Buffer): Promise<string> {
  await writeFile(join(dir, name), content);
  return name;
}

function bake(args: string[], env: Record<string, string> = {}) {
  return runBake(args, { cwd: dir, env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env } });
}

// What a terminal would act on: ESC, BEL and the other C0/C1 controls (tab and newline are fine).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("variable patterns", () => {
  test("match in linear time: (a+)+ against 38 a's and ! answers in under a second", async () => {
    const recipe = await write(
      "redos.yaml",
      `${HEAD}vars:\n  v:\n    type: string\n    pattern: "(a+)+"\n${LAYERS}`,
    );
    const run = await bake(["validate", recipe, "--var", `v=${"a".repeat(38)}!`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("does not match the pattern (a+)+");
    expect(run.ms).toBeLessThan(1000);
  });

  test("refuse a pattern the linear-time engine cannot run, at its file:line:col", async () => {
    const recipe = await write(
      "lookahead.yaml",
      `${HEAD}vars:\n  v:\n    type: string\n    pattern: "(?=a)a+"\n${LAYERS}`,
    );
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("lookahead.yaml:7:14: error: the pattern of `v` cannot be used");
    expect(run.stderr).toContain("RE2 syntax");
  });
});

describe("the schema's own patterns", () => {
  test("answer long adversarial values for names, labels, durations, modes, owners and URLs at once", async () => {
    const n = 60_000;
    const recipe = await write(
      "patterns.yaml",
      [
        "apiVersion: bake/v1",
        `name: ${"a".repeat(n)}!`,
        "from: scratch",
        `labels: { "${"a".repeat(n)}": "${"a-".repeat(n / 2)}!" }`,
        "layers:",
        `  - name: ${"a-".repeat(n / 2)}!`,
        "    steps:",
        "      - run: echo hi",
        `        timeout: "${"1.1s".repeat(n / 4)}x"`,
        `      - copy: { from: a, to: /x, mode: "${"0".repeat(n)}", owner: "${"a".repeat(n)}:${"a".repeat(n)}!" }`,
        "verify:",
        `  - http: { url: "${"h".repeat(n)}" }`,
        `    interval: "${"1".repeat(n)}x"`,
        "",
      ].join("\n"),
    );
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("(9 errors)");
    expect(run.ms).toBeLessThan(3000);
  });
});

describe("files that are not regular files", () => {
  test("a FIFO given as the recipe or as a --var-file is refused at once, exit 2", async () => {
    execFileSync("mkfifo", [join(dir, "pipe.yaml")]);
    await write("ok.yaml", `${HEAD}${LAYERS}`);
    const recipe = await bake(["validate", "pipe.yaml"]);
    expect(recipe.code).toBe(2);
    expect(recipe.stderr).toContain("error: pipe.yaml is a named pipe (FIFO), not a regular file");
    const varFile = await bake(["validate", "ok.yaml", "--var-file", "pipe.yaml"]);
    expect(varFile.code).toBe(2);
    expect(varFile.stderr).toContain("var file pipe.yaml is a named pipe (FIFO), not a regular file");
    expect(recipe.ms + varFile.ms).toBeLessThan(10_000);
  });
});

describe("terminal escapes in diagnostics", () => {
  test("a decoded escape sequence in a quoted value is shown escaped, never sent to the terminal", async () => {
    const recipe = await write("escape.yaml", `${HEAD}${LAYERS}        timeout: "\\e]0;PWNED\\a\\e[2J"\n`);
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("\\e]0;PWNED\\x07\\e[2J");
    expect(run.stderr).not.toMatch(CONTROL);
  });

  test("raw control bytes in a garbage file are escaped in the excerpt, with the caret still aligned", async () => {
    const recipe = await write("garbage.yaml", 'key: "\u001b]0;PWNED\u0007\u001b[2J\nmore: [\n');
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(CONTROL);
    expect(run.stderr).toContain(' 1 | key: "\\e]0;PWNED\\x07\\e[2J\n   |      ^\n');
  });

  test("a var file's control characters are escaped in its error", async () => {
    await write("ok.yaml", `${HEAD}vars:\n  n: { type: number, default: 1 }\n${LAYERS}`);
    await write("vars.yaml", 'n: "\\e]0;PWNED\\a"\n');
    const run = await bake(["validate", "ok.yaml", "--var-file", "vars.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a number");
    expect(run.stderr).not.toMatch(CONTROL);
  });
});

describe("resource bounds", () => {
  test("a 5,000-deep flow mapping gets a depth error and a short excerpt, not a stack overflow", async () => {
    const recipe = await write("flow.yaml", `a: ${"{b: ".repeat(5000)}1${"}".repeat(5000)}\n`);
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nests lists and mappings more than 64 levels deep");
    expect(run.stderr).not.toContain("call stack");
    expect(run.stderr.length).toBeLessThan(1000);
  });

  test("a 900-deep block mapping gets a depth error at the 65th level", async () => {
    const lines = Array.from({ length: 900 }, (_, i) => `${" ".repeat(i)}k:`);
    const recipe = await write("block.yaml", `${lines.join("\n")} 1\n`);
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("block.yaml:65:65: error: the recipe nests lists and mappings more than 64");
    expect(run.stderr.length).toBeLessThan(1000);
  });

  test("errors on a 60 KB line print short excerpts, cut around the column, caret on the spot", async () => {
    const long = "x".repeat(60_000);
    const recipe = await write(
      "long.yaml",
      `${HEAD}labels: { a: 1, ${long}: 2, Bad: 3, ${long}b: 4 }\n${LAYERS}`,
    );
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr.length).toBeLessThan(6000);
    const lines = run.stderr.split("\n");
    const at = lines.findIndex((line) => line.includes("error: `Bad` is not a valid key in `labels`"));
    const excerpt = lines[at + 1] ?? "";
    const caret = lines[at + 2] ?? "";
    expect(lines[at]).toContain("long.yaml:4:60022:");
    expect(excerpt).toMatch(/^ 4 \| …x+: 2, Bad: 3, x+…$/);
    expect(excerpt.length).toBeLessThan(120);
    // The caret sits under the start of the reported key, inside the cut window.
    expect(excerpt.slice(caret.indexOf("^"))).toMatch(/^Bad: 3/);
  });

  test("a deeply nested var file or a huge unknown name gets a short, clear error", async () => {
    await write("ok.yaml", `${HEAD}vars:\n  v: { type: string }\n${LAYERS}`);
    await write("deep-vars.yaml", `v: ${"[".repeat(3000)}${"]".repeat(3000)}\n`);
    await write("long-name.yaml", `${"x".repeat(1000)}: 1\n`);
    const deep = await bake(["validate", "ok.yaml", "--var-file", "deep-vars.yaml"]);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toContain("deep-vars.yaml nests lists and mappings more than 64 levels deep");
    const long = await bake(["validate", "ok.yaml", "--var-file", "long-name.yaml"]);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain(
      `long-name.yaml sets \`${"x".repeat(60)}…\`, which the recipe does not declare`,
    );
    expect(long.stderr.length).toBeLessThan(400);
  });

  test("a var file over 1 MiB is refused before it is read", async () => {
    await write("ok.yaml", `${HEAD}${LAYERS}`);
    await writeFile(join(dir, "big.yaml"), Buffer.alloc(50 * 1024 * 1024, 0x20));
    const run = await bake(["validate", "ok.yaml", "--var-file", "big.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("var file big.yaml is more than 1048576 bytes (the limit): 52428800 bytes");
  });
});

describe("encodings", () => {
  test("Latin-1 bytes are refused at their line and column instead of becoming U+FFFD", async () => {
    const recipe = await write(
      "latin1.yaml",
      Buffer.from(`${HEAD}labels:\n  team: caf\u00e9\n${LAYERS}`, "latin1"),
    );
    const run = await bake(["validate", recipe]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("latin1.yaml:5:12: error: the file is not valid UTF-8: byte 0xE9");
    expect(run.stderr).toContain("save the file as UTF-8");
  });

  test("UTF-16 with or without a byte order mark is refused with a hint to save it as UTF-8", async () => {
    const text = `${HEAD}${LAYERS}`;
    await write("bom16.yaml", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    await write("plain16.yaml", Buffer.from(text, "utf16le"));
    const withMark = await bake(["validate", "bom16.yaml"]);
    expect(withMark.code).toBe(2);
    expect(withMark.stderr).toContain("the file is UTF-16 (little-endian) text");
    expect(withMark.stderr).toContain("save the file as UTF-8");
    const without = await bake(["validate", "plain16.yaml"]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain("it is full of NUL bytes (UTF-16 without a byte order mark");
    expect(without.stderr).not.toMatch(CONTROL);
  });

  test("a UTF-8 byte order mark is accepted", async () => {
    const recipe = await write("bom8.yaml", `\ufeff${HEAD}${LAYERS}`);
    const run = await bake(["validate", recipe]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("a NUL in a variable value from a var file or a default is refused at validation", async () => {
    await write("vars.yaml", `${HEAD}vars:\n  v: { type: string }\n${LAYERS}`);
    await write("nul-vars.yaml", 'v: "a\\0b"\n');
    const fromFile = await bake(["validate", "vars.yaml", "--var-file", "nul-vars.yaml"]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain('nul-vars.yaml: "a\\u0000b" for `v` contains a NUL character');
    // Arguments and the environment cannot carry a NUL (test/recipe/vars.test.ts checks those paths in-process).
    await write("default.yaml", `${HEAD}vars:\n  v: { type: string, default: "a\\0b" }\n${LAYERS}`);
    const fromDefault = await bake(["validate", "default.yaml"]);
    expect(fromDefault.code).toBe(2);
    expect(fromDefault.stderr).toContain(
      "default.yaml:5:31: error: the default of `v` contains a NUL character",
    );
  });
});

// Found by an external tester: a var file (which holds secrets) or a secret's default printed in an excerpt.
describe("secrets in files bake cannot read", () => {
  const SECRET = "GrünerTee-2024!";
  // What any rendering of the secret holds, whether the bad byte shows as U+FFFD or not.
  const TAIL = "nerTee-2024";
  const USES_SECRET =
    'vars:\n  db_password: { type: string, secret: true }\nlayers:\n  - name: app\n    steps:\n      - run: echo hi\n        env: { DB: "${vars.db_password}" }\n';

  function expectNoSecret(run: { stdout: string; stderr: string }) {
    for (const text of [run.stdout, run.stderr]) {
      expect(text).not.toContain(TAIL);
      expect(text).not.toContain(SECRET);
    }
  }

  test("a var file with a Latin-1 byte is refused at file:line:col by build, plan and validate, without its line", async () => {
    await write("leak.yaml", `${HEAD}${USES_SECRET}`);
    await write("secrets.yaml", Buffer.from(`db_password: ${SECRET}\n`, "latin1"));
    for (const command of ["build", "plan", "validate"]) {
      const run = await bake([command, "leak.yaml", "--var-file", "secrets.yaml"], {
        BAKE_STORE: join(dir, "store"),
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("secrets.yaml:1:16: var file: the file is not valid UTF-8: byte 0xFC");
      expect(run.stderr).toContain("hint: save the file as UTF-8");
      expectNoSecret(run);
    }
  });

  test.each([
    ["a duplicate key", `db_password: x\ndb_password: "${SECRET}"\n`, "2:1: var file: a key appears twice"],
    [
      "two documents",
      `db_password: "${SECRET}"\n---\nx: 1\n`,
      "2:1: var file: the file holds more than one YAML document",
    ],
    ["an unclosed quote", `db_password: "${SECRET}\n`, "1:14: var file: this quoted value is never closed"],
    [
      "a bad escape",
      `db_password: "${SECRET}\\q"\n`,
      "1:30: var file: a double-quoted value holds an invalid escape",
    ],
  ])("a var file with %s is refused at file:line:col without its content", async (_what, content, where) => {
    await write("leak.yaml", `${HEAD}${USES_SECRET}`);
    await write("bad-vars.yaml", content);
    const run = await bake(["plan", "leak.yaml", "--var-file", "bad-vars.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`bad-vars.yaml:${where}`);
    expectNoSecret(run);
  });

  test("a secret default with a Latin-1 byte is refused at its position without an excerpt", async () => {
    const recipe = `${HEAD}vars:\n  db_password: { type: string, secret: true, default: "${SECRET}" }\n${LAYERS}`;
    await write("secret-default.yaml", Buffer.from(recipe, "latin1"));
    const run = await bake(["validate", "secret-default.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("secret-default.yaml:5:58: error: the file is not valid UTF-8: byte 0xFC");
    expectNoSecret(run);
    // A block-style default, and a `vars` key the bad byte itself has broken, keep the excerpt out too.
    const block = `${HEAD}vars:\n  db_password:\n    secret: true\n    default: ${SECRET}\n${LAYERS}`;
    await write("secret-block.yaml", Buffer.from(block, "latin1"));
    const mangled = `${HEAD}v\u00e4rs: { db_password: { secret: true, default: "${SECRET}" } }\n${LAYERS}`;
    await write("secret-mangled.yaml", Buffer.from(mangled, "latin1"));
    for (const file of ["secret-block.yaml", "secret-mangled.yaml"]) {
      const other = await bake(["validate", file]);
      expect(other.code).toBe(2);
      expect(other.stderr).toContain("not valid UTF-8");
      expectNoSecret(other);
    }
  });

  test("a Latin-1 byte outside vars still gets its excerpt", async () => {
    const recipe = `${HEAD}labels:\n  team: caf\u00e9\nvars:\n  pw: { secret: true, default: "${SECRET}" }\n${LAYERS}`;
    await write("label-latin1.yaml", Buffer.from(recipe, "latin1"));
    const run = await bake(["validate", "label-latin1.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(" 5 |   team: caf\ufffd\n");
    expectNoSecret(run);
  });

  test("a secret default that broken YAML cut loose from its key is masked in the excerpt too", async () => {
    // The block scalar's text lost its indentation: yaml reads it as a key of its own, not as the secret's default.
    for (const [file, body] of [
      ["secret-dedented.yaml", `    default: |\n${SECRET}\n`],
      ["secret-folded.yaml", `    default: >\n ${SECRET}\n`],
    ] as const) {
      await write(file, `${HEAD}vars:\n  pw:\n    type: string\n    secret: true\n${body}${LAYERS}`);
      const run = await bake(["validate", file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`${file}:9:1: error`));
      expectNoSecret(run);
    }
  });

  test("a secret default of the wrong type is not quoted in the hint", async () => {
    await write("secret-number.yaml", `${HEAD}vars:\n  pw: { secret: true, default: 987654321 }\n${LAYERS}`);
    const run = await bake(["validate", "secret-number.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the default of `pw` is number, but the variable is a string");
    expect(run.stderr).not.toContain("987654321");
  });
});

describe("variable references", () => {
  test("`${ vars.v }` is refused at file:line:col with the hint to write `${vars.v}`, and never reaches a plan", async () => {
    await write(
      "spaced.yaml",
      `${HEAD}version: "\${ vars.v }"\nlabels: { a: "\${vars.v }" }\nvars: { v: { default: "1.2.3" } }\n${LAYERS}`,
    );
    const validate = await bake(["validate", "spaced.yaml"]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(
      "spaced.yaml:4:11: error: `${ vars.v }` is not a variable reference bake can read",
    );
    expect(validate.stderr).toContain(
      "spaced.yaml:5:15: error: `${vars.v }` is not a variable reference bake can read",
    );
    expect(validate.stderr).toContain("hint: write `${vars.v}`, with no spaces");
    const plan = await bake(["plan", "spaced.yaml", "--json"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toBe("");
  });

  test("a variable named __proto__ or toString plans to its own value", async () => {
    await write(
      "proto.yaml",
      `${HEAD}vars:\n  __proto__: { default: "p" }\n  toString: { default: "t" }\nlabels: { a: "\${vars.__proto__}", b: "\${vars.toString}" }\n${LAYERS}`,
    );
    expect((await bake(["validate", "proto.yaml"])).code).toBe(0);
    const run = await bake(["plan", "proto.yaml", "--json"], { BAKE_VAR___PROTO__: "x" });
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as { labels: unknown; vars: unknown };
    expect(plan.labels).toEqual({ a: "x", b: "t" });
    expect(run.stdout).toContain('"vars":{"__proto__":"x","toString":"t"}');
  });
});
