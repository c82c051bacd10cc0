import { describe, expectTypeOf, it } from "vitest";
import { BakeError, type BakeErrorCode, type Diagnostic } from "../../src/index.js";

describe("error codes are a closed union", () => {
  it("refuses a misspelt or retired code at compile time", () => {
    // @ts-expect-error: not a code
    new BakeError({ code: "copy-mising", message: "m" });
    // @ts-expect-error: retired for copy-missing
    new BakeError({ code: "copy-source-missing", message: "m" });
    expectTypeOf<"copy-missing">().toExtend<BakeErrorCode>();
    expectTypeOf<BakeError["code"]>().toEqualTypeOf<BakeErrorCode>();
    expectTypeOf<Diagnostic["code"]>().toEqualTypeOf<BakeErrorCode>();
  });

  it("lets a switch over the codes be exhaustive", () => {
    const describe = (code: BakeErrorCode): string => {
      switch (code) {
        case "copy-missing":
          return "copy";
        default: {
          const rest: Exclude<BakeErrorCode, "copy-missing"> = code;
          return rest;
        }
      }
    };
    expectTypeOf(describe).returns.toBeString();
  });
});
