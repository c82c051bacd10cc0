import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
// @ts-expect-error: a plain Node script without type declarations
import { generateValidatorSource, outputPath } from "../../scripts/generate-recipe-validator.mjs";

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
});
