import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { driverImportsOfManifestOrCli, importsOf, upwardImports } from "./upward-imports.js";

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

  it("names a driver file that imports the manifest or the CLI", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const root = await mkdtemp(join(tmpdir(), "bake-layering-"));
    try {
      await mkdir(join(root, "drivers/gce"), { recursive: true });
      await writeFile(
        join(root, "drivers/gce/commands.ts"),
        'import type { M } from "../../manifest/manifest.js";\nimport { io } from "../../cli/io.js";\n',
      );
      await writeFile(join(root, "drivers/gce/fleet.ts"), 'import type { D } from "../driver.js";\n');
      expect(await driverImportsOfManifestOrCli(root)).toEqual([
        "drivers/gce/commands.ts -> ../../cli/io.js",
        "drivers/gce/commands.ts -> ../../manifest/manifest.js",
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("keeps every file under src/drivers/ away from src/manifest/ and src/cli/", async () => {
    expect(await driverImportsOfManifestOrCli(src)).toEqual([]);
  });
});
