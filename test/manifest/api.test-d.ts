import { describe, expectTypeOf, it } from "vitest";
import {
  type ImageRecord,
  type ImageStatus,
  type Integrity,
  type Manifest,
  type ManifestEvent,
  manifestPath,
  type NewEvent,
  type NewRecord,
  openManifest,
} from "../../src/index.js";

describe("the public manifest API", () => {
  it("opens a manifest from a path", () => {
    expectTypeOf(openManifest).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(openManifest).returns.resolves.toEqualTypeOf<Manifest>();
    expectTypeOf(manifestPath).returns.toEqualTypeOf<string>();
  });

  it("registers records and appends events with typed inputs", () => {
    expectTypeOf<Manifest["register"]>().parameter(0).toEqualTypeOf<NewRecord>();
    expectTypeOf<Manifest["register"]>().returns.resolves.toEqualTypeOf<ImageRecord>();
    expectTypeOf<Manifest["appendEvent"]>().parameter(0).toEqualTypeOf<NewEvent>();
    expectTypeOf<Manifest["appendEvent"]>().returns.resolves.toEqualTypeOf<ManifestEvent>();
    expectTypeOf<Manifest["status"]>().returns.toEqualTypeOf<ImageStatus>();
    expectTypeOf<Manifest["integrity"]>().returns.toEqualTypeOf<Integrity>();
    expectTypeOf<Integrity["problem"]>().toEqualTypeOf<
      { line: number; code: "edited" | "unlinked"; message: string } | undefined
    >();
  });

  it("narrows events by kind", () => {
    type Revoke = Extract<NewEvent, { event: "revoke" }>;
    expectTypeOf<Revoke>().toHaveProperty("cascade").toEqualTypeOf<boolean>();
    expectTypeOf<Revoke>().toHaveProperty("reason").toEqualTypeOf<string>();
    expectTypeOf<ImageRecord["parent"]>().toEqualTypeOf<
      { readonly record: string } | { readonly external: { readonly ref: string; readonly id: string } }
    >();
  });
});
