import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  CODE_POINT_LENGTH,
  generateValidatorSource,
  outputPath,
  // @ts-expect-error: a plain Node script without type declarations
} from "../../scripts/generate-recipe-validator.mjs";

describe("the precompiled recipe validator", () => {
  test("matches what the schema compiles to today (run scripts/generate-recipe-validator.mjs after editing the schema)", () => {
    const committed = readFileSync(outputPath as string, "utf8");
    expect((generateValidatorSource as () => string)()).toBe(committed);
  });

  test("changes when the schema changes", () => {
    const schema = JSON.parse(
      readFileSync(new URL("../../schemas/recipe.schema.json", import.meta.url), "utf8"),
    );
    schema.properties.name.pattern = "^[a-z]+$";
    const altered = (generateValidatorSource as (text: string) => string)(JSON.stringify(schema));
    expect(altered).not.toBe(readFileSync(outputPath as string, "utf8"));
    expect(altered).toContain("^[a-z]+$");
  });

  test("counts a string's length in code points exactly as Array.from does, lone surrogates included", () => {
    // The helper is source text for the generated module; this runs that exact text.
    const length = new Function(`return ${CODE_POINT_LENGTH}`)() as (text: string) => number;
    const units = fc.oneof(
      fc.constantFrom("\ud83d", "\ude00", "\ud83d\ude00", "a", "\u00e9", "\udbff", "\udc00"),
      fc.string({ unit: "grapheme", maxLength: 3 }),
      fc.string({ unit: "binary", maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(units, { maxLength: 12 }), (parts) => {
        const text = parts.join("");
        expect(length(text)).toBe(Array.from(text).length);
      }),
      { numRuns: 2000 },
    );
    expect(readFileSync(outputPath as string, "utf8")).toContain(CODE_POINT_LENGTH as string);
  });
});
