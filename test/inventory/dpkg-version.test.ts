import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareDpkgVersions } from "../../src/inventory/dpkg-version.js";

// What the real dpkg says: -1, 0 or 1.
function dpkgOrder(a: string, b: string): number {
  const holds = (op: string) => {
    try {
      execFileSync("dpkg", ["--compare-versions", a, op, b], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (holds("lt")) return -1;
  return holds("eq") ? 0 : 1;
}

// Small alphabets make close pairs (shared prefixes, ~ against the end, letters against punctuation) common.
const piece = fc.constantFrom("0", "1", "2", "9", "10", "00", "a", "b", "z", "A", "Z", ".", "+", "~", "~~");
const upstream = fc
  .tuple(fc.constantFrom("0", "1", "2", "10", "01"), fc.array(piece, { maxLength: 5 }))
  .map(([first, rest]) => `${first}${rest.join("")}`);
const revision = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(""));
const version = fc
  .tuple(
    fc.option(fc.constantFrom("0", "1", "2"), { nil: undefined }),
    upstream,
    fc.option(revision, { nil: undefined }),
  )
  .map(
    ([epoch, up, rev]) =>
      `${epoch === undefined ? "" : `${epoch}:`}${up}${rev === undefined ? "" : `-${rev}`}`,
  );

describe("dpkg version ordering", () => {
  it("orders the examples of Debian policy", () => {
    expect(compareDpkgVersions("1.0~rc1", "1.0")).toBe(-1);
    expect(compareDpkgVersions("1.0", "1.0+b1")).toBe(-1);
    expect(compareDpkgVersions("1:0.1", "2.0")).toBe(1);
    expect(compareDpkgVersions("3.0.11-1~deb12u2", "3.0.11-1")).toBe(-1);
    expect(compareDpkgVersions("3.0.13-1~deb12u1", "3.0.11-1~deb12u2")).toBe(1);
    expect(compareDpkgVersions("1.0a", "1.0+")).toBe(-1);
    expect(compareDpkgVersions("1.01", "1.1")).toBe(0);
    expect(compareDpkgVersions("0:1.0", "1.0")).toBe(0);
  });

  it("agrees with dpkg --compare-versions on 600 generated pairs", () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(version, version),
          // Pairs that differ by one appended piece, where the trickiest rules decide.
          fc.tuple(version, piece).map(([v, p]) => [v, `${v}${p}`] as [string, string]),
        ),
        ([a, b]) => {
          checked += 1;
          expect(compareDpkgVersions(a, b), `${a} vs ${b}`).toBe(dpkgOrder(a, b));
        },
      ),
      { numRuns: 600 },
    );
    expect(checked).toBeGreaterThanOrEqual(600);
  }, 120_000);
});
