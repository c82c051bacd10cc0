import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { importsOf, upwardImports } from "./upward-imports.js";

const src = resolve(import.meta.dirname, "../../src");

describe("layering", () => {
  it("finds every kind of import statement", () => {
    const text = [
      'import { a } from "../plan/a.js";',
      'import type { B } from "../manifest/b.js";',
      'export { c } from "./c.js";',
      'const d = await import("../cli/d.js");',
      'import "../util/side-effect.js";',
      'import { e } from "node:fs";',
    ].join("\n");
    expect(importsOf(text)).toEqual([
      "../plan/a.js",
      "../manifest/b.js",
      "./c.js",
      "../cli/d.js",
      "../util/side-effect.js",
    ]);
  });

  it("names an upward import", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const root = await mkdtemp(join(tmpdir(), "bake-layering-"));
    try {
      await mkdir(join(root, "plan"));
      await mkdir(join(root, "drivers"));
      await mkdir(join(root, "manifest"));
      await writeFile(join(root, "plan/compile.ts"), 'import { DRIVER_IDS } from "../drivers/index.js";\n');
      await writeFile(join(root, "drivers/index.ts"), 'import type { Plan } from "../plan/compile.js";\n');
      await writeFile(join(root, "manifest/types.ts"), 'import type { X } from "../drivers/index.js";\n');
      expect(await upwardImports(root)).toEqual([
        "manifest/types.ts -> drivers/index.ts (manifest may not import drivers)",
        "plan/compile.ts -> drivers/index.ts (plan may not import drivers)",
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("has every import in src/ point down a floor (cli → run/fleet → drivers → plan → recipe; manifest beside drivers; util at the bottom)", async () => {
    expect(await upwardImports(src)).toEqual([]);
  });
});
