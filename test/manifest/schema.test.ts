import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { manifestSchema, schemaProblems } from "../../src/manifest/schema.js";
import type { ImageRecord, ManifestEvent, ManifestHeader } from "../../src/manifest/types.js";
import {
  GENERATED_SHAPES,
  GENERATED_VALIDATORS,
  generateShapes,
  generateValidators,
} from "./harness/generate-validators.js";
import { debianBase, imageInput, layerInput, tempManifest } from "./helpers.js";

// Every field of the TypeScript types, spelled out: adding or removing one without the other fails tsc here.
const recordFields: Record<keyof ImageRecord, true> = {
  type: true,
  id: true,
  prev: true,
  kind: true,
  lineage: true,
  version: true,
  build: true,
  parent: true,
  driver: true,
  artifact: true,
  recipeDigest: true,
  layer: true,
  layers: true,
  verify: true,
  labels: true,
  details: true,
  runId: true,
  createdAt: true,
  bakeVersion: true,
  ci: true,
};
type EventFields = { [K in ManifestEvent as K["event"]]: keyof K }[ManifestEvent["event"]];
const eventFields: Record<EventFields, true> = {
  type: true,
  id: true,
  prev: true,
  event: true,
  target: true,
  lineage: true,
  at: true,
  bakeVersion: true,
  ci: true,
  channel: true,
  reason: true,
  cascade: true,
  server: true,
  details: true,
  destination: true,
  digest: true,
  rollout: true,
};
const headerFields: Record<keyof ManifestHeader, true> = {
  bake: true,
  format: true,
  createdAt: true,
  bakeVersion: true,
};

const defs = manifestSchema().$defs as Record<string, { properties: Record<string, unknown> }>;
const keys = (object: object) => Object.keys(object).sort();

describe("the manifest schema", () => {
  it("has exactly the fields of the TypeScript record, event and header types", () => {
    expect(keys(defs.record?.properties ?? {})).toEqual(keys(recordFields));
    expect(keys(defs.event?.properties ?? {})).toEqual(keys(eventFields));
    expect(keys(defs.header?.properties ?? {})).toEqual(keys(headerFields));
  });

  for (const [what, file, generate] of [
    ["precompiled validators", GENERATED_VALIDATORS, generateValidators],
    ["precompiled shape checks", GENERATED_SHAPES, generateShapes],
  ] as const) {
    it(`matches the committed ${what}`, () => {
      const generated = generate();
      if (process.env.BAKE_WRITE_GENERATED === "1") {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, generated);
      }
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, "utf8")).toBe(generated);
    });
  }

  it("accepts every line bake writes", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: { CI: "true" } });
    const layer = await manifest.register(
      layerInput({ lineage: "base", name: "runtime", parent: debianBase }),
    );
    const image = await manifest.register({
      ...imageInput({ lineage: "base", parent: debianBase }),
      layers: [
        { ...(layer.layer as NonNullable<typeof layer.layer>), record: layer.id, artifact: layer.artifact },
      ],
      details: { builder: "sandbox" },
      runId: "run-1",
    });
    await manifest.appendEvent({ event: "promote", target: image.id, channel: "stable" });
    await manifest.appendEvent({ event: "observe", target: image.id, server: "web-1" });
    await manifest.appendEvent({
      event: "publish",
      target: image.id,
      destination: "docker://registry.example.com:5000/base:1",
      digest: `sha256:${"ab".repeat(32)}`,
    });
    await manifest.appendEvent({ event: "deprecate", target: image.id, reason: "superseded" });
    await manifest.appendEvent({ event: "revoke", target: image.id, reason: "CVE", cascade: true });
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(schemaProblems(lines[0], "header")).toEqual([]);
    for (const line of lines.slice(1)) expect(schemaProblems(line, line.type)).toEqual([]);
  });

  it("names the field at fault in a record that breaks it", () => {
    const problems = schemaProblems(
      { type: "record", kind: "image", lineage: "Bad Name", surprise: 1 },
      "record",
    );
    expect(problems).toContain('line: unexpected field "surprise"');
    expect(problems.some((problem) => problem.startsWith("lineage:"))).toBe(true);
    expect(problems).toContain("line: must have required property 'artifact'");
  });
});
