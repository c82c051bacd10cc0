import { describe, expectTypeOf, it } from "vitest";
import { type ManifestLocation, openManifest, parseLocation } from "../../../src/index.js";

describe("the public location API", () => {
  it("parses a location into a union discriminated by kind", () => {
    expectTypeOf(parseLocation).returns.toEqualTypeOf<ManifestLocation>();
    expectTypeOf<ManifestLocation["kind"]>().toEqualTypeOf<"file" | "git" | "postgres">();
    expectTypeOf<Extract<ManifestLocation, { kind: "postgres" }>>()
      .toHaveProperty("schema")
      .toEqualTypeOf<string>();
    expectTypeOf<Extract<ManifestLocation, { kind: "git" }>>()
      .toHaveProperty("branch")
      .toEqualTypeOf<string>();
  });

  it("opens a manifest from a path or a store location alike", () => {
    expectTypeOf(openManifest).parameter(0).toEqualTypeOf<string>();
  });
});
