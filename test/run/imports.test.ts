import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const src = resolve(import.meta.dirname, "../../src");

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => join(e.parentPath, e.name));
}

describe("renderer boundaries", () => {
  it("keeps listr2 out of the runner and every driver, except the terminal reporters that load it lazily", async () => {
    const files = [...(await sources(join(src, "run"))), ...(await sources(join(src, "drivers")))];
    expect(files.length).toBeGreaterThan(10);
    const importing: string[] = [];
    for (const file of files) {
      if (/from\s+["']listr2["']|import\(\s*["']listr2["']\s*\)/.test(await readFile(file, "utf8"))) {
        importing.push(relative(src, file));
      }
    }
    expect(importing.sort()).toEqual(["run/reporters/listr-tree.ts", "run/reporters/listr.ts"]);
    const listr = await readFile(join(src, "run/reporters/listr.ts"), "utf8");
    expect(listr).not.toMatch(/^import \{[^}]*\} from "listr2"/m);
    const index = await readFile(join(src, "run/reporters/index.ts"), "utf8");
    expect(index).toContain('await import("./listr.js")');
  });
});
