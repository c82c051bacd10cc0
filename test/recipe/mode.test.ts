import { describe, expect, test } from "vitest";
import { readMode } from "../../src/recipe/mode.js";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const file = "/tmp/bake-mode/recipe.yaml";
const head = "apiVersion: bake/v1\nname: web\nfrom: scratch\nlayers:\n  - name: app\n    steps:\n";

function modeOfFile(written: string) {
  const result = validateRecipe(`${head}      - file: { path: /a, content: x, mode: ${written} }\n`, {
    file,
    checkFiles: false,
  });
  const step = result.recipe?.layers[0]?.steps[0];
  return {
    mode: step && "mode" in step ? step.mode : undefined,
    errors: result.errors.map((e) => [e.code, e.location?.line, e.location?.col, e.message, e.hint]),
    warnings: result.warnings.map((w) => w.code),
  };
}

describe("modes", () => {
  test.each([
    ["0755", 0o755],
    ['"0755"', 0o755],
    ["04755", 0o4755],
    ['"04755"', 0o4755],
    ["02755", 0o2755],
    ["01777", 0o1777],
    ["07777", 0o7777],
    ['"4755"', 0o4755],
    ["0o4755", 0o4755],
    ["420", 420],
    ["0", 0],
  ])("reads mode %s as %o", (written, mode) => {
    expect(modeOfFile(written)).toMatchObject({ mode, errors: [] });
  });

  test("refuses a leading-zero mode with an 8 or 9 in it, with a hint to quote octal bits", () => {
    expect(modeOfFile("0800").errors).toEqual([
      [
        "bad-value",
        7,
        45,
        "mode 0800 starts with 0, which makes it octal, but 8 and 9 are not octal digits",
        'octal digits are 0 to 7: quote the mode as octal permission bits, such as "0755" or "0644"',
      ],
    ]);
    expect(modeOfFile("0649").errors.map((e) => e[0])).toEqual(["bad-value"]);
  });

  test("refuses a mode beyond 07777 with a message that says so, leading zero or not", () => {
    expect(modeOfFile("010000").errors.map((e) => [e[0], e[3]])).toEqual([
      ["out-of-range", "mode 010000 is out of range: a mode is at most 07777"],
    ]);
    const decimal = modeOfFile("4755").errors;
    expect(decimal.map((e) => [e[0], e[3]])).toEqual([
      ["out-of-range", "mode 4755 is out of range: a mode is from 0 to 07777 (4095)"],
    ]);
    expect(decimal[0]?.[4]).toContain('write "04755"');
    expect(modeOfFile("-1").errors.map((e) => e[0])).toEqual(["out-of-range"]);
    const big = modeOfFile("5000").errors;
    expect(big.map((e) => e[0])).toEqual(["out-of-range"]);
    expect(big.flat().join(" ")).not.toContain("not a whole number");
  });

  test("still warns about a bare decimal look-alike of an octal mode", () => {
    expect(modeOfFile("644")).toMatchObject({ mode: 644, errors: [], warnings: ["mode-decimal"] });
  });

  test("reads a string as octal and a number from its source text", () => {
    expect(readMode("0644", "")).toEqual({ mode: 0o644 });
    expect(readMode(644, "0644")).toEqual({ mode: 0o644 });
    expect(readMode(800, "0800").problem?.code).toBe("bad-value");
    expect(readMode(4095, "")).toEqual({ mode: 0o7777 });
    expect(readMode(4096, "").problem?.code).toBe("out-of-range");
  });
});
