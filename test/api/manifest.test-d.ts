import { describe, expectTypeOf, it } from "vitest";
import {
  type Ancestry,
  checkManifest,
  type FsckReport,
  type ImageRecord,
  type Manifest,
  type ManifestEvent,
  manifestFromText,
  type Observation,
  type OpenOptions,
  openManifest,
  type TextOptions,
} from "../../src/index.js";

describe("the manifest API's public types", () => {
  it("hands out records, events and observations that cannot be assigned to, at any depth", () => {
    const record = {} as ImageRecord;
    // @ts-expect-error a record is read-only
    record.version = "x";
    // @ts-expect-error so are the arrays inside it
    record.layers?.push(record.layers[0]);
    // @ts-expect-error and the objects inside those
    if (record.layers?.[0]) record.layers[0].name = "x";
    // @ts-expect-error and its labels
    if (record.labels) record.labels.team = "x";
    const event = {} as ManifestEvent;
    // @ts-expect-error an event is read-only
    event.target = "x";
    const seen = {} as Observation;
    // @ts-expect-error an observation is read-only
    seen.server = "x";
    expectTypeOf<Ancestry["chain"]>().toEqualTypeOf<readonly ImageRecord[]>();
    expectTypeOf<ReturnType<Manifest["records"]>>().toEqualTypeOf<readonly ImageRecord[]>();
  });

  it("still lets a copy be edited", () => {
    const copy = structuredClone({} as ImageRecord) as { -readonly [K in keyof ImageRecord]: ImageRecord[K] };
    copy.version = "x";
    expectTypeOf(copy.version).toEqualTypeOf<string>();
  });

  it("opens a manifest with mustExist, verify and lazy, or from text or bytes", () => {
    expectTypeOf<OpenOptions["mustExist"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<OpenOptions["verify"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<OpenOptions["lazy"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf(openManifest).parameters.toEqualTypeOf<[string, OpenOptions?]>();
    expectTypeOf(manifestFromText).parameters.toEqualTypeOf<[string | Uint8Array, TextOptions?]>();
    expectTypeOf(manifestFromText).returns.resolves.toEqualTypeOf<Manifest>();
    expectTypeOf<TextOptions>().toEqualTypeOf<{ name?: string; verify?: boolean }>();
  });

  it("takes a reference, not only an id, in status, ancestry and descendants", () => {
    expectTypeOf<Manifest["status"]>().parameters.toEqualTypeOf<[ref: string]>();
    expectTypeOf<Manifest["ancestry"]>().parameters.toEqualTypeOf<[ref: string]>();
    expectTypeOf<Manifest["descendants"]>().parameters.toEqualTypeOf<[ref: string]>();
  });

  it("checkManifest resolves to a FsckReport: it is a Promise, as the README says", () => {
    expectTypeOf(checkManifest).returns.toEqualTypeOf<Promise<FsckReport>>();
    expectTypeOf(checkManifest).parameter(0).toEqualTypeOf<string>();
  });
});
