import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, test } from "vitest";
// @ts-expect-error: a plain Node script without type declarations
import { EDITOR_KEYWORDS } from "../../scripts/generate-recipe-validator.mjs";
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

// Every schema node that carries `key`, with its path; examples and snippet bodies are data, not schema.
function nodesWith(key: string, node: unknown, path: string, found: [string, Node][] = []): [string, Node][] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) nodesWith(key, item, `${path}/${i}`, found);
  } else if (node !== null && typeof node === "object") {
    const object = node as Node;
    if (key in object && !path.endsWith("/properties")) found.push([path, object]);
    for (const [name, value] of Object.entries(object))
      if (name !== "examples" && name !== "defaultSnippets" && name !== "const" && name !== "enum")
        nodesWith(key, value, `${path}/${name}`, found);
  }
  return found;
}

// A snippet body with every `${N:default}` and `${N|a,b|}` placeholder filled by its default, as an editor does.
function filled(body: unknown): unknown {
  if (typeof body === "string") {
    let text = body.replace(/^\^/, "");
    for (let previous = ""; previous !== text; ) {
      previous = text;
      text = text.replace(/\$\{\d+:((?:\\\}|[^}])*)\}/g, "$1").replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, "$1");
    }
    return text.replace(/\\([$}\\])/g, "$1");
  }
  if (Array.isArray(body)) return body.map(filled);
  if (body !== null && typeof body === "object")
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, filled(value)]));
  return body;
}

describe("schemas/recipe.schema.json in editors", () => {
  test("uses no keywords but JSON Schema 2020-12's and the editors' that the validator generator declares", () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary(EDITOR_KEYWORDS as string[]);
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(() => new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema)).toThrow(
      /unknown keyword/,
    );
  });

  test("gives every description that uses Markdown a markdownDescription with the same text, for hovers", () => {
    const markdown = nodesWith("description", schema, "#").filter(([, node]) =>
      /`/.test(node.description as string),
    );
    expect(markdown.length).toBeGreaterThan(20);
    const missing = markdown.filter(([, node]) => node.markdownDescription !== node.description);
    expect(missing.map(([path]) => path)).toEqual([]);
    const strays = nodesWith("markdownDescription", schema, "#").filter(
      ([, node]) => node.markdownDescription !== node.description,
    );
    expect(strays.map(([path]) => path)).toEqual([]);
  });

  test("describes each value of every enum that has value descriptions", () => {
    const described = nodesWith("enumDescriptions", schema, "#");
    expect(described.map(([path]) => path)).toEqual([
      "#/properties/target/properties/driver",
      "#/properties/target/allOf/0/then/properties/network",
    ]);
    for (const [path, node] of described) {
      const values = node.enum as unknown[];
      expect((node.enumDescriptions as string[]).length, path).toBe(values.length);
      expect(node.markdownEnumDescriptions, path).toEqual(node.enumDescriptions);
    }
  });

  test("offers snippets whose bodies, placeholders filled, are valid where they are inserted", () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    const snippets = nodesWith("defaultSnippets", schema, "#");
    expect(snippets.map(([path]) => path).sort()).toEqual([
      "#/properties/config",
      "#/properties/layers",
      "#/properties/layers/items/properties/steps",
      "#/properties/target",
      "#/properties/verify",
    ]);
    for (const [path, node] of snippets) {
      // A list's snippets are its items; an object's are the object.
      const validate = ajv.compile((node.items as Node | undefined) ?? node);
      for (const snippet of node.defaultSnippets as { label: string; description: string; body: unknown }[]) {
        expect(typeof snippet.description, `${path} ${snippet.label}`).toBe("string");
        const body = filled(snippet.body);
        expect(
          validate(body) ? [] : validate.errors,
          `${path} ${snippet.label}: ${JSON.stringify(body)}`,
        ).toEqual([]);
      }
    }
  });

  test("accepts a target without a driver, which is the local driver's", () => {
    const recipe = {
      apiVersion: "bake/v1",
      name: "web",
      from: "scratch",
      target: { network: "none" },
      layers: [{ name: "app", steps: [{ run: "true" }] }],
    };
    expect(schemaErrors(recipe)).toEqual([]);
    expect(schemaErrors({ ...recipe, target: { builder: "docker" } })).not.toEqual([]);
    expect(schemaErrors({ ...recipe, target: { network: "none", store: ".bake" } })).not.toEqual([]);
  });
});
