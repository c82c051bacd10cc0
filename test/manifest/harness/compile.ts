import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Transpiles `src/manifest/manifest.ts` and every module it imports into plain JavaScript under
 * `node_modules/.cache/`, so child processes can run the real manifest code with `node` alone (bare imports such
 * as ajv still resolve from the repository's node_modules). Returns the directory that mirrors `src/`.
 */
export function compileManifestModule(): string {
  const root = join(repo, "node_modules", ".cache", `bake-manifest-harness-${process.pid}-${Date.now()}`);
  const out = join(root, "out");
  const pending = [join(repo, "src/manifest/manifest.ts")];
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/(?:from |import\()"(\.{1,2}\/[^"]+)\.js"/g)) {
      pending.push(resolve(dirname(file), `${match[1]}.ts`));
    }
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const target = join(out, relative(join(repo, "src"), file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  // version.ts reads ../package.json and schema.ts reads ../../schemas/, relative to the compiled files.
  writeFileSync(join(root, "package.json"), readFileSync(join(repo, "package.json")));
  mkdirSync(join(root, "schemas"), { recursive: true });
  copyFileSync(join(repo, "schemas/manifest.schema.json"), join(root, "schemas/manifest.schema.json"));
  return out;
}
