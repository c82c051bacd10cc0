import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BakeError } from "../../errors.js";
import { lstat, readdir, readFile, stat, writeFile } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import { nearest } from "../../util/nearest.js";
import type { TextOut } from "../../util/text-out.js";
import type { CommandRun } from "../io.js";

const DEFAULT_TEMPLATE = "base";
const MODELINE = /^# yaml-language-server: \$schema=.*$/m;
// Both src/cli/commands/init.ts and dist/cli/commands/init.js sit three levels below the package root.
const PACKAGE_ROOT = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const TEMPLATES_DIR = path.join(PACKAGE_ROOT, "templates");
const SCHEMA_FILE = path.join(PACKAGE_ROOT, "schemas", "recipe.schema.json");

interface Template {
  name: string;
  description: string;
  order: number;
}

/** `bake init [--template NAME] [--list] [DIR]`: writes a starter recipe (and its files) without overwriting. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const templates = await listTemplates();
  if (values.list === true) {
    printList(templates, io.stdout);
    return 0;
  }
  const name = typeof values.template === "string" ? values.template : DEFAULT_TEMPLATE;
  if (!templates.some((template) => template.name === name)) {
    const guess = nearest(
      name,
      templates.map((template) => template.name),
    );
    throw new BakeError({
      code: "unknown-template",
      message: `init: there is no template "${name}"`,
      hint: `${guess ? `did you mean "${guess}"? ` : ""}templates: ${templates.map((t) => t.name).join(", ")} (bake init --list)`,
    });
  }
  const dir = path.resolve(io.cwd, positionals[0] ?? ".");
  const dirLooksLikeTemplate =
    positionals[0] !== undefined && templates.some((t) => t.name === positionals[0]);
  if (dirLooksLikeTemplate && values.template === undefined) {
    // `bake init app` most likely meant the template; say how, but do what was asked.
    io.stderr.write(
      `note: writing into the directory "${positionals[0]}"; for the template use --template ${positionals[0]}\n`,
    );
  }
  const files = await templateFiles(path.join(TEMPLATES_DIR, name));
  await refuseExisting(dir, files, io.cwd);
  for (const file of files) {
    const source = path.join(TEMPLATES_DIR, name, file);
    const target = path.join(dir, file);
    let content: string | Buffer = await readFile(source);
    if (file === "recipe.yaml") content = withSchemaModeline(content.toString("utf8"), dir);
    await makeDirectoriesAsync(path.dirname(target)).catch((error: NodeJS.ErrnoException) => {
      throw new BakeError({
        code: "directory-uncreatable",
        message: `cannot create ${path.dirname(target)}: ${error.code ?? error.message}`,
        hint: "pass bake init a directory bake can create and write to",
      });
    });
    // `wx` fails instead of overwriting a file that appeared since the check.
    await writeFile(target, content, { flag: "wx", mode: (await stat(source)).mode & 0o777 }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") throw exists(path.relative(io.cwd, target) || target);
        throw error;
      },
    );
  }
  const shown = path.relative(io.cwd, dir) || ".";
  const recipe = path.join(path.relative(io.cwd, dir), "recipe.yaml");
  io.stdout.write(
    [
      `wrote the "${name}" template to ${shown}:`,
      ...files.map((file) => `  ${file}`),
      "",
      "next:",
      `  bake validate ${recipe}`,
      `  bake plan ${recipe}`,
      `  bake build ${recipe}`,
      "",
    ].join("\n"),
  );
  return 0;
};

async function listTemplates(): Promise<Template[]> {
  const names = (await readdir(TEMPLATES_DIR, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const templates = await Promise.all(
    names.map(async (name): Promise<Template> => {
      const meta = JSON.parse(await readFile(path.join(TEMPLATES_DIR, name, "template.json"), "utf8")) as {
        description?: string;
        order?: number;
      };
      return { name, description: meta.description ?? "", order: meta.order ?? 100 };
    }),
  );
  return templates.sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : 1));
}

function printList(templates: Template[], out: TextOut): void {
  const width = Math.max(...templates.map((template) => template.name.length));
  for (const template of templates) {
    const mark = template.name === DEFAULT_TEMPLATE ? " (default)" : "";
    out.write(`${template.name.padEnd(width)}  ${template.description}${mark}\n`);
  }
}

// Every file of a template except its metadata, `/`-separated and sorted.
async function templateFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(path.join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await templateFiles(dir, relative)));
    else if (relative !== "template.json") files.push(relative);
  }
  return files;
}

async function refuseExisting(dir: string, files: string[], cwd: string): Promise<void> {
  const dirInfo = await lstat(dir).catch(() => undefined);
  if (dirInfo && !dirInfo.isDirectory()) {
    throw new BakeError({
      code: "usage",
      message: `init: ${path.relative(cwd, dir) || dir} is not a directory`,
    });
  }
  for (const file of files) {
    const target = path.join(dir, file);
    if (
      await lstat(target).then(
        () => true,
        () => false,
      )
    )
      throw exists(path.relative(cwd, target) || target);
  }
}

function exists(file: string): BakeError {
  return new BakeError({
    code: "file-exists",
    message: `init: ${file} already exists; bake init never overwrites files`,
    hint: "pick another directory (bake init DIR) or move the file away",
  });
}

// Points the modeline at a schema an editor can open from the new recipe's directory.
function withSchemaModeline(text: string, dir: string): string {
  return text.replace(MODELINE, `# yaml-language-server: $schema=${schemaReference(dir)}`);
}

function schemaReference(dir: string): string {
  // A project that depends on bake: its installed copy of the schema.
  for (let current = dir; ; current = path.dirname(current)) {
    const installed = path.join(current, "node_modules", "@bakehq", "bake", "schemas", "recipe.schema.json");
    if (existsSync(installed)) return toPosix(path.relative(dir, installed));
    if (path.dirname(current) === current) break;
  }
  // Inside bake's own checkout, or else the schema of the bake that ran (absolute, so the editor finds it).
  const relative = path.relative(dir, SCHEMA_FILE);
  const insidePackage = !path.relative(PACKAGE_ROOT, dir).startsWith("..");
  return toPosix(insidePackage ? relative : SCHEMA_FILE);
}

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}
