import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, test } from "vitest";
import { schemaErrors } from "../../src/recipe/schema/validate.js";

type Node = Record<string, unknown>;
const schema = JSON.parse(
  readFileSync(new URL("../../schemas/recipe.schema.json", import.meta.url), "utf8"),
) as Node;

// Every property schema (entries of a `properties` map) with its path, wherever it sits.
function propertySchemas(node: unknown, path: string, found: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) propertySchemas(item, `${path}/${i}`, found);
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node as Node)) {
      if (key === "properties" && value !== null && typeof value === "object") {
        for (const [name, property] of Object.entries(value as Node)) {
          found.push([`${path}/properties/${name}`, property as Node]);
          propertySchemas(property, `${path}/properties/${name}`, found);
        }
      } else if (key !== "examples" && key !== "if") propertySchemas(value, `${path}/${key}`, found);
    }
  }
  return found;
}

// Additional-property and object schemas closed to unknown keys, wherever a schema declares `properties`.
function openObjects(node: unknown, path: string, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) openObjects(item, `${path}/${i}`, found);
  } else if (node !== null && typeof node === "object") {
    const object = node as Node;
    const closed = object.additionalProperties === false || object.unevaluatedProperties === false;
    if (object.properties && !closed && !path.includes("/then") && !path.endsWith("/if")) found.push(path);
    for (const [key, value] of Object.entries(object))
      if (key !== "examples") openObjects(value, `${path}/${key}`, found);
  }
  return found;
}

describe("schemas/recipe.schema.json", () => {
  test("is a 2020-12 schema with an $id", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe("https://bake.dev/schemas/recipe/v1.json");
  });

  test("documents every property with a description and examples, for editors", () => {
    const properties = propertySchemas(schema, "#");
    expect(properties.length).toBeGreaterThan(60);
    const undocumented = properties
      .filter(
        ([, node]) =>
          typeof node.description !== "string" || !Array.isArray(node.examples) || node.examples.length === 0,
      )
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  test("closes every object to unknown keys, so typos are caught", () => {
    expect(openObjects(schema, "#")).toEqual([]);
  });

  test("accepts its own examples: each property's against that property, and the whole recipes", () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    const rejected = propertySchemas(schema, "#").flatMap(([path, node]) => {
      const validate = ajv.compile(node);
      return (node.examples as unknown[])
        .filter((example) => !validate(example))
        .map((example) => `${path}: ${JSON.stringify(example)}`);
    });
    expect(rejected).toEqual([]);
    for (const example of schema.examples as unknown[]) expect(schemaErrors(example)).toEqual([]);
  });
});
