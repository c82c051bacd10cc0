import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { cycloneDxJson } from "../../src/inventory/cyclonedx.js";
import { packageUrl } from "../../src/inventory/purl.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { sideDataFor } from "../../src/manifest/side-data.js";
import { captureIO } from "../helpers/capture-io.js";
import { debianBase, imageInput, tempManifest } from "../manifest/helpers.js";

async function bake(args: string[], cwd: string) {
  const captured = captureIO({ cwd, env: { NO_COLOR: "1" } });
  const code = await main(args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

// A package whose name and version would clear the screen and recolour the terminal if printed raw.
const EVIL = "evil\u001b[2J\u009b31m";

async function fixture() {
  const { dir, path } = tempManifest();
  const manifest = await openManifest(path, { create: true });
  const side = sideDataFor(path);
  const inventory = (version: string) =>
    side.put(
      cycloneDxJson(
        {
          packages: [
            {
              ecosystem: "deb",
              name: EVIL,
              version,
              purl: packageUrl({ ecosystem: "deb", name: EVIL, version }),
            },
          ],
        },
        { lineage: "web", version: "1", artifact: "x" },
      ),
    );
  const bare = await manifest.register(imageInput({ lineage: "web", parent: debianBase, seed: "bare" }));
  const a = await manifest.register({
    ...imageInput({ lineage: "web", parent: debianBase, seed: "a" }),
    details: { sbom: await inventory("1.0-1") },
  });
  const b = await manifest.register({
    ...imageInput({ lineage: "web", parent: debianBase, seed: "b" }),
    details: { sbom: await inventory(`2.0-1${"\u001b]0;pwned\u0007"}`) },
  });
  return { dir, bare, a, b };
}

describe("bake sbom, query and diff on recorded inventories", () => {
  it("says an image without an inventory has none (exit 2), and refuses an unknown format", async () => {
    const { dir, bare, a } = await fixture();
    const none = await bake(["sbom", bare.id], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("has no package inventory");
    const format = await bake(["sbom", a.id, "--format", "xml"], dir);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('unknown format "xml"');
    const query = await bake(["query", "packages", "x"], dir);
    expect(query.code).toBe(2);
  });

  it("never prints a package's control characters raw, in diff, query or sbom output", async () => {
    const { dir, a, b } = await fixture();
    const diff = await bake(["diff", a.id, b.id], dir);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain("packages: 1 upgraded");
    expect(diff.stdout).toContain("^ evil");
    const query = await bake(["query", "package", "openssl"], dir);
    expect(query.stdout).toContain("no image holds openssl");
    expect(query.stdout).toContain("1 image(s) have no inventory");
    const sbom = await bake(["sbom", b.id], dir);
    expect(JSON.parse(sbom.stdout).components[0].name).toBe(EVIL);
    for (const text of [diff.stdout, query.stdout, sbom.stdout]) {
      for (const raw of ["\u001b", "\u0007", "\u009b"]) expect(text.includes(raw)).toBe(false);
    }
  });
});
