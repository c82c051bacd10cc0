import { describe, expect, it } from "vitest";
import { nodeHasCycloneDx } from "../../src/run/inventory.js";

// The CycloneDX library needs Node.js 20.18 or later, as the runner does.
describe.skipIf(!nodeHasCycloneDx(process.versions.node))("the CycloneDX document of an inventory", () => {
  it("is the same bytes each time for the same inventory, so its digest names its content", async () => {
    const { cycloneDxJson } = await import("../../src/inventory/cyclonedx.js");
    const inventory = {
      os: { id: "debian", versionId: "12" },
      packages: [
        {
          ecosystem: "deb" as const,
          name: "openssl",
          version: "3.0.11-1~deb12u2",
          arch: "amd64",
          purl: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
        },
      ],
    };
    const subject = { lineage: "web", version: "1.0.0", artifact: "sha256:abc" };
    const first = cycloneDxJson(inventory, subject);
    expect(cycloneDxJson(structuredClone(inventory), { ...subject })).toBe(first);
    expect(first).not.toMatch(/BomRef\./);
  });
});
