import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { YamlLanguageServer } from "./lsp-client.js";
import { applyCompletion, positionAt } from "./snippet.js";

// schemas/recipe.schema.json as an editor sees it: the real yaml-language-server, driven over LSP on stdio with
// `yaml.schemas` pointing at the schema file. What its completions insert must be a recipe `bake validate`
// (the compiled CLI, run as a separate process: `npm run build` first) accepts; its hovers must carry the
// schema's Markdown.

const repo = join(import.meta.dirname, "../..");
const schemaFile = join(repo, "schemas/recipe.schema.json");
const bake = join(repo, "bin/bake.js");
const run = promisify(execFile);

interface Snippet {
  label: string;
  body: unknown;
}
interface CompletionItem {
  label: string;
  textEdit?: { range: { start: Position; end: Position }; newText: string };
  insertText?: string;
  documentation?: string | { kind: string; value: string };
}
interface Position {
  line: number;
  character: number;
}

const schema = JSON.parse(await readFile(schemaFile, "utf8"));
const snippetsOf = (node: { defaultSnippets?: Snippet[] }) =>
  (node.defaultSnippets ?? []).map((s) => s.label);

let server: YamlLanguageServer;
let dir: string;
let documents = 0;

// A recipe with a marker line `@` where the cursor goes; the marker is removed before the document is opened.
const RECIPE = `apiVersion: bake/v1
name: web
from: scratch
vars:
  app_version: { type: string, default: "1.0.0" }
@
`;
const LAYERS = "layers:\n  - name: app\n    steps:\n      - run: echo hi\n";

async function open(withMarker: string): Promise<{ uri: string; text: string; at: Position }> {
  const offset = withMarker.indexOf("@");
  const text = withMarker.slice(0, offset) + withMarker.slice(offset + 1);
  const uri = pathToFileURL(join(dir, `doc-${documents++}.yaml`)).href;
  server.notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text } });
  return { uri, text, at: positionAt(text, offset) };
}

async function complete(uri: string, at: Position): Promise<CompletionItem[]> {
  const result = await server.request<{ items: CompletionItem[] } | CompletionItem[]>(
    "textDocument/completion",
    {
      textDocument: { uri },
      position: at,
    },
  );
  return Array.isArray(result) ? result : result.items;
}

async function insert(withMarker: string, label: string): Promise<{ text: string; cursor: number }> {
  const { uri, text, at } = await open(withMarker);
  const items = await complete(uri, at);
  const item = items.find((candidate) => candidate.label === label);
  expect(item, `"${label}" among ${items.map((i) => i.label).join(", ")}`).toBeDefined();
  return applyCompletion(text, item as CompletionItem, at);
}

// `bake validate` on the text, as a separate process; copy steps get a dist/ directory beside the recipe.
async function validate(text: string): Promise<{ code: number; output: string }> {
  const project = await mkdtemp(join(dir, "project-"));
  await mkdir(join(project, "dist"));
  await writeFile(join(project, "dist/app.js"), "console.log('hi')\n");
  await writeFile(join(project, "recipe.yaml"), text);
  try {
    const { stdout, stderr } = await run(process.execPath, [bake, "validate", "recipe.yaml"], {
      cwd: project,
      env: { PATH: process.env.PATH, NO_COLOR: "1" },
      timeout: 20_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}\n---\n${text}` };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bake-editor-"));
  const settings = {
    yaml: {
      schemas: { [pathToFileURL(schemaFile).href]: "*.yaml" },
      completion: true,
      hover: true,
      validate: true,
      schemaStore: { enable: false },
      kubernetesCRDStore: { enable: false },
    },
  };
  server = new YamlLanguageServer(settings);
  await server.request("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
      textDocument: {
        completion: {
          completionItem: { snippetSupport: true, documentationFormat: ["markdown", "plaintext"] },
        },
        hover: { contentFormat: ["markdown", "plaintext"] },
      },
    },
  });
  server.notify("initialized", {});
  server.notify("workspace/didChangeConfiguration", { settings });
  // The settings apply asynchronously: wait (bounded) until completion at the top level offers the schema's keys.
  const probe = await open("@\n");
  const deadline = Date.now() + 20_000;
  while (!(await complete(probe.uri, probe.at)).some((item) => item.label === "apiVersion")) {
    if (Date.now() > deadline) throw new Error("yaml-language-server never applied the recipe schema");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Several completions and CLI runs per test, on a shared machine: allow more than the default minute.
describe("the recipe schema in yaml-language-server", { timeout: 120_000 }, () => {
  test("inserting `target` gives a target that names its driver, and the recipe validates", async () => {
    const { text } = await insert(`${RECIPE}${LAYERS}`, "target");
    expect(parse(text).target).toEqual({ driver: "local" });
    expect(await validate(text)).toMatchObject({ code: 0 });
  });

  test("offers a snippet for each driver as the value of `target`, and each inserted one validates", async () => {
    const labels = snippetsOf(schema.properties.target);
    expect(labels).toEqual(["local driver", "packer driver (docker builder)", "gce driver"]);
    for (const label of labels) {
      const { text } = await insert(RECIPE.replace("@", "target: @") + LAYERS, label);
      expect(parse(text).target.driver, label).toBe(label.split(" ")[0]);
      expect(await validate(text), label).toMatchObject({ code: 0 });
    }
  });

  test("offers the step snippets at a new step, and each inserted step validates", async () => {
    const labels = snippetsOf(schema.properties.layers.items.properties.steps);
    expect(labels).toEqual(["run a command", "run a command with a variable", "copy files", "write a file"]);
    const document = `${RECIPE.replace("@", "")}${LAYERS}      - @\n`;
    for (const label of labels) {
      const { text } = await insert(document, label);
      const step = parse(text).layers[0].steps[1];
      expect(
        Object.keys(step).filter((key) => ["run", "copy", "file"].includes(key)),
        label,
      ).toHaveLength(1);
      expect(await validate(text), label).toMatchObject({ code: 0 });
    }
  });

  test("offers a layer snippet at a new layer, and the inserted layer validates", async () => {
    const layers = LAYERS.replace("name: app", "name: runtime");
    const { text } = await insert(`${RECIPE.replace("@", "")}${layers}  - @\n`, "layer");
    expect(parse(text).layers[1]).toEqual({ name: "app", steps: [{ run: "echo baked > /etc/motd" }] });
    expect(await validate(text)).toMatchObject({ code: 0 });
  });

  test("offers the check snippets at a new check, and each inserted check validates", async () => {
    const labels = snippetsOf(schema.properties.verify);
    expect(labels).toEqual(["run check", "file check", "http check"]);
    for (const label of labels) {
      const { text } = await insert(`${RECIPE.replace("@", "")}${LAYERS}verify:\n  - @\n`, label);
      const check = parse(text).verify[0];
      expect(Object.keys(check), label).toContain(label.split(" ")[0]);
      expect(await validate(text), label).toMatchObject({ code: 0 });
    }
  });

  test("inserting `verify` leaves the cursor at an empty check, where a check snippet completes it", async () => {
    const first = await insert(`${RECIPE}${LAYERS}`, "verify");
    expect(first.text).toContain("verify:\n  - ");
    expect(first.text).not.toContain("retries");
    const marked = `${first.text.slice(0, first.cursor)}@${first.text.slice(first.cursor)}`;
    const { text } = await insert(marked, "http check");
    expect(parse(text).verify).toEqual([
      { http: { url: "http://127.0.0.1:8080/health", status: 200 }, retries: 10, interval: "2s" },
    ]);
    expect(await validate(text)).toMatchObject({ code: 0 });
  });

  test("describes each driver in the completion list of `driver`", async () => {
    const { uri, at } = await open(`${RECIPE.replace("@", "target:\n  driver: @")}${LAYERS}`);
    const items = await complete(uri, at);
    const driver = schema.properties.target.properties.driver;
    const documentation = (label: string) => {
      const doc = items.find((item) => item.label === label)?.documentation;
      return typeof doc === "string" ? doc : doc?.value;
    };
    expect(driver.enum.map(documentation)).toEqual(driver.markdownEnumDescriptions);
  });

  test("says on hover where an http check is sent from", async () => {
    const document = `${RECIPE.replace("@", "")}${LAYERS}verify:\n  - http:\n      url: http://127.0.0.1:8080/\n`;
    const { uri, text } = await open(document);
    const line = text.split("\n").findIndex((l) => l.includes("- http:"));
    const hover = await server.request<{ contents: { value: string } }>("textDocument/hover", {
      textDocument: { uri },
      position: { line, character: 5 },
    });
    expect(hover.contents.value).toContain(
      "`local` starts the image's command (`config.entrypoint` + `config.cmd`, own or inherited) as its service",
    );
    expect(hover.contents.value).toContain(
      "an http check on an image without an entrypoint or cmd is an error",
    );
  });

  test("serves Markdown descriptions on hover, with code spans intact", async () => {
    const { uri, text } = await open(`${RECIPE.replace("@", "target:\n  driver: local\n")}${LAYERS}`);
    const lines = text.split("\n");
    const hover = async (line: number, character: number) =>
      (
        await server.request<{ contents: { kind: string; value: string } }>("textDocument/hover", {
          textDocument: { uri },
          position: { line, character },
        })
      ).contents;
    const target = await hover(lines.indexOf("target:"), 2);
    expect(target.kind).toBe("markdown");
    expect(target.value).toContain(schema.properties.target.markdownDescription);
    expect(target.value).toContain("a `driver` (`local`, the default;");
    expect(target.value).not.toContain("\\`");
    const driver = await hover(lines.indexOf("  driver: local"), 12);
    expect(driver.value).toContain(
      `\`local\`: ${schema.properties.target.properties.driver.markdownEnumDescriptions[0]}`,
    );
  });
});
