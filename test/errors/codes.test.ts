import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BAKE_ERROR_CODES } from "../../src/errors.js";

const root = resolve(import.meta.dirname, "../..");
const src = join(root, "src");

// `code:` fields that are not error codes: each names another kind of finding with its own type.
const OTHER_KINDS: Record<string, { codes: string[]; why: string }> = {
  "src/run/tree/outdated.ts": { codes: ["*"], why: "why a recipe is outdated (OutdatedReason)" },
  "src/manifest/chain.ts": { codes: ["*"], why: "how a hash chain is broken (ChainProblem)" },
  "src/manifest/types.ts": { codes: ["*"], why: "the ChainProblem type" },
  "src/manifest/fsck.ts": { codes: ["torn-tail", "schema"], why: "fsck problems about a manifest line" },
};

// Codes that once named a condition another code also named; they must not come back.
const RETIRED = [
  "copy-source-missing", // copy-missing
  "copy-source-outside", // copy-outside-root, copy-symlink-escape
  "copy-source", // copy-changed
  "bad-parent", // parent-invalid
  "interpolation-in-script", // script-interpolation
  "secret-not-allowed", // secret-misplaced
  "packer-target-invalid", // target-invalid
  "gce-parent", // parent-unsupported
  "lineage-not-found", // ref-not-found
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.parentPath.includes("generated"),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

// Every string literal given as a `code:` field or a `const code`, directly or as an arm of a conditional.
function codeLiterals(text: string): string[] {
  const found: string[] = [];
  const field = /(?<![.\w])code(?::|\s*=(?!=))\s*([^,;(){}\n]*(?:\n\s*[?:][^,;(){}\n]*)*)/g;
  for (const match of text.matchAll(field)) {
    for (const literal of (match[1] ?? "").matchAll(/(?:^|[?:])\s*"([a-z0-9][a-z0-9-]*)"/g)) {
      if (literal[1]) found.push(literal[1]);
    }
  }
  return found;
}

describe("error codes", () => {
  it("lists each code once", () => {
    expect(new Set(BAKE_ERROR_CODES).size).toBe(BAKE_ERROR_CODES.length);
  });

  it("lists every code that src uses as a `code:`", async () => {
    const known = new Set<string>(BAKE_ERROR_CODES);
    const unknown: string[] = [];
    let seen = 0;
    for (const file of await sourceFiles(src)) {
      const name = relative(root, file);
      const other = OTHER_KINDS[name]?.codes ?? [];
      for (const code of codeLiterals(await readFile(file, "utf8"))) {
        seen += 1;
        if (other.includes("*") || other.includes(code)) continue;
        if (!known.has(code)) unknown.push(`${name}: ${code}`);
      }
    }
    expect(seen).toBeGreaterThan(200);
    expect(unknown).toEqual([]);
  });

  it("uses every code it lists", async () => {
    const texts = await Promise.all(
      (await sourceFiles(src))
        .filter((file) => !file.endsWith("/src/errors.ts"))
        .map((file) => readFile(file, "utf8")),
    );
    const all = texts.join("\n");
    const unused = BAKE_ERROR_CODES.filter((code) => !all.includes(`"${code}"`));
    expect(unused).toEqual([]);
  });

  it("keeps retired codes out of src, the tests' fixtures and the README", async () => {
    const files = [
      ...(await sourceFiles(src)),
      ...(await readdir(join(root, "test/fixtures"), { recursive: true }))
        .filter((name) => name.endsWith(".json"))
        .map((name) => join(root, "test/fixtures", name)),
      join(root, "README.md"),
    ];
    const back: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      for (const code of RETIRED) {
        if (text.includes(`"${code}"`) || text.includes(`\`${code}\``))
          back.push(`${relative(root, file)}: ${code}`);
      }
    }
    expect(back).toEqual([]);
  });

  it("documents only listed codes in the README's errors table", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("### Errors"),
      readme.indexOf("### Validating and compiling"),
    );
    const documented = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((match) => match[1]);
    expect(documented.length).toBeGreaterThan(0);
    expect(
      documented.filter((code) => !(BAKE_ERROR_CODES as readonly string[]).includes(code ?? "")),
    ).toEqual([]);
  });

  it("finds codes written as a field, a conditional, and a variable", () => {
    const text = [
      'throw new BakeError({ code: "copy-missing", message: "m" });',
      'const d = { code: aliases ? "yaml-alias-limit" : "yaml-invalid", message };',
      "const code =",
      '  problem.reason === "too-large"',
      '    ? "recipe-too-large"',
      '    : "recipe-unreadable";',
      "const location = 1;",
    ].join("\n");
    expect(codeLiterals(text)).toEqual([
      "copy-missing",
      "yaml-alias-limit",
      "yaml-invalid",
      "recipe-too-large",
      "recipe-unreadable",
    ]);
  });
});
