import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { runTitle } from "../../src/plan/titles.js";

// The title as first written: split into lines, trim, take the first that is not blank or a comment, and collapse
// whitespace. The one-pass version must answer the same for any script.
function referenceTitle(script: string): string {
  const lines = script.split("\n").map((line) => line.trim());
  const first = lines.find((line) => line !== "" && !line.startsWith("#")) ?? "";
  const more = lines.filter((line) => line !== "" && !line.startsWith("#")).length > 1;
  const oneLine = `run ${first}${more ? " …" : ""}`.replace(/\s+/g, " ");
  return oneLine.length <= 72 ? oneLine : `${oneLine.slice(0, 71)}…`;
}

describe("run step titles", () => {
  test("name the first line of a script that is not blank or a comment, as the line-array version did", () => {
    const pieces = fc.constantFrom(
      "\n",
      " ",
      "  ",
      "\t",
      "\r",
      "\u00a0",
      "#",
      "# note",
      "echo hi",
      "x",
      "…",
      "\u2028",
    );
    const scripts = fc.oneof(
      fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join("")),
      fc.string(),
    );
    fc.assert(
      fc.property(scripts, (script) => {
        expect(runTitle({ script })).toBe(referenceTitle(script));
      }),
      { numRuns: 3000 },
    );
    expect(runTitle({ script: "\n# setup\n  apt-get update  \n\nmake\n" })).toBe("run apt-get update …");
  });
});
