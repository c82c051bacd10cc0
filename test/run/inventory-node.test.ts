import { describe, expect, it } from "vitest";
import { nodeHasCycloneDx } from "../../src/run/inventory.js";

describe("package inventory on older Node.js", () => {
  it("is taken only where the CycloneDX library runs (Node.js 20.18 and later)", () => {
    expect(nodeHasCycloneDx("20.5.0")).toBe(false);
    expect(nodeHasCycloneDx("20.17.9")).toBe(false);
    expect(nodeHasCycloneDx("20.18.0")).toBe(true);
    expect(nodeHasCycloneDx("22.1.0")).toBe(true);
  });
});
