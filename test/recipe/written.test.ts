import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, test } from "vitest";
import type {
  WrittenCheckTiming,
  WrittenCopyStep,
  WrittenFileStep,
  WrittenRunCheck,
  WrittenStep,
} from "../../src/recipe/written.js";
import { tables } from "./written-keys.js";

interface Node {
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  additionalProperties?: Node | boolean;
  allOf?: { if: Node; then: Node }[];
  oneOf?: { required: string[] }[];
}

const schema = JSON.parse(
  readFileSync(new URL("../../schemas/recipe.schema.json", import.meta.url), "utf8"),
) as Node;
const props = (node: Node | undefined) => node?.properties ?? {};
const steps = props(props(schema).layers?.items).steps?.items;
const checks = props(schema).verify?.items;
const branch = (driver: "local" | "packer" | "gce"): Node => {
  const target = props(schema).target;
  const found = target?.allOf?.find((b) => JSON.stringify(b.if).includes(`"const":"${driver}"`));
  // A branch's keys are the target's plus its own; its required keys are those its `if` and `then` require.
  return {
    properties: { ...props(target), ...props(found?.then) },
    required: [...(target?.required ?? []), ...(found?.if.required ?? []), ...(found?.then.required ?? [])],
  };
};

const pairs: [keyof typeof tables, Node | undefined][] = [
  ["recipe", schema],
  ["local", branch("local")],
  ["packer", branch("packer")],
  ["gce", branch("gce")],
  ["variable", props(schema).vars?.additionalProperties as Node],
  ["layer", props(schema).layers?.items],
  ["step", steps],
  ["copy", props(steps).copy],
  ["file", props(steps).file],
  ["check", checks],
  ["fileCheck", props(checks).file],
  ["httpCheck", props(checks).http],
  ["retain", props(schema).retain],
  ["rollout", props(schema).rollout],
  ["rolloutCheck", props(props(schema).rollout).checks?.items],
  ["rolloutHttpCheck", props(props(props(schema).rollout).checks?.items).http],
  ["config", props(schema).config],
  ["publish", (props(schema).publish?.items as Node & { anyOf?: Node[] })?.anyOf?.[1]],
];

describe("WrittenRecipe and schemas/recipe.schema.json", () => {
  test.each(pairs)("the %s type and its schema have the same keys and required keys", (name, node) => {
    const keys = tables[name] as Record<string, boolean>;
    expect(Object.keys(props(node)).sort()).toEqual(Object.keys(keys).sort());
    const required = Object.entries(keys)
      .filter(([, isRequired]) => isRequired)
      .map(([key]) => key);
    expect([...(node?.required ?? [])].sort()).toEqual(required.sort());
  });

  test("steps and checks are each exactly one kind, as the union types say", () => {
    expect(steps?.oneOf?.map((b) => b.required[0])).toEqual(["run", "copy", "file"]);
    expect(checks?.oneOf?.map((b) => b.required[0])).toEqual(["run", "file", "http"]);
    expectTypeOf<WrittenStep>().toEqualTypeOf<WrittenRunStep | WrittenCopyStep | WrittenFileStep>();
    expectTypeOf<WrittenRunCheck>().toExtend<WrittenCheckTiming>();
  });
});

type WrittenRunStep = Extract<WrittenStep, { run: unknown }>;
