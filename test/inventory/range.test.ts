import { describe, expect, it } from "vitest";
import { diffPackages } from "../../src/inventory/package-diff.js";
import { matchesBounds, parsePackageQuery } from "../../src/inventory/range.js";

describe("package queries", () => {
  it("reads a name alone, a bare version, and comma-separated bounds", () => {
    expect(parsePackageQuery("openssl")).toEqual({ name: "openssl", bounds: [] });
    expect(parsePackageQuery("openssl@3.0.11-1")).toEqual({
      name: "openssl",
      bounds: [{ operator: "=", version: "3.0.11-1" }],
    });
    expect(parsePackageQuery("libc6@>=2.36,<2.37").bounds).toEqual([
      { operator: ">=", version: "2.36" },
      { operator: "<", version: "2.37" },
    ]);
  });

  it("refuses a bound it cannot read and a name that is not one", () => {
    expect(() => parsePackageQuery("openssl@<<3")).toThrow(/not a version bound/);
    expect(() => parsePackageQuery("open ssl")).toThrow(/not a package name/);
    expect(() => parsePackageQuery("openssl@")).toThrow(/not a version bound/);
  });

  it("compares with the ecosystem's own ordering, so a ~ pre-release is below its release", () => {
    const below = parsePackageQuery("openssl@<3.0.13").bounds;
    expect(matchesBounds("deb", "3.0.13~rc1-1", below)).toBe(true);
    expect(matchesBounds("deb", "3.0.13-1~deb12u1", below)).toBe(false);
    expect(matchesBounds("deb", "1:1.0", parsePackageQuery("x@>2").bounds)).toBe(true);
    expect(matchesBounds("apk", "3.1.4-r5", parsePackageQuery("x@<3.1.4-r10").bounds)).toBe(true);
  });

  it("tells upgrades from downgrades by version order, not by text", () => {
    const diff = diffPackages(
      [
        { ecosystem: "deb", name: "a", version: "1.9" },
        { ecosystem: "deb", name: "b", version: "2.0" },
        { ecosystem: "deb", name: "gone", version: "1" },
      ],
      [
        { ecosystem: "deb", name: "a", version: "1.10" },
        { ecosystem: "deb", name: "b", version: "2.0~beta" },
        { ecosystem: "deb", name: "new", version: "1" },
      ],
    );
    expect(diff.upgraded).toEqual([{ ecosystem: "deb", name: "a", from: "1.9", to: "1.10" }]);
    expect(diff.downgraded).toEqual([{ ecosystem: "deb", name: "b", from: "2.0", to: "2.0~beta" }]);
    expect(diff.added.map((p) => p.name)).toEqual(["new"]);
    expect(diff.removed.map((p) => p.name)).toEqual(["gone"]);
  });
});
