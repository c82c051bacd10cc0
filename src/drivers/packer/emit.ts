import { readFileSync } from "node:fs";
import path from "node:path";
import { BakeError } from "../../errors.js";
import { rootPlan } from "../../plan/paths.js";
import type { BuildPlan } from "../../plan/types.js";
import { writeFile } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import { bundleCopy, SOURCES_FILE } from "./bundle.js";
import { type DockerImage, inspectImage } from "./docker.js";
import { readOptions } from "./options.js";
import { shellQuote } from "./shell-quote.js";
import { compileLayerTemplate, compileVerifyTemplate, type TemplateOptions } from "./template.js";
import { writeTemplate } from "./write-template.js";

/**
 * Writes one Packer template per layer (`01-<layer>.pkr.json`, ...) and `verify.pkr.json` into `outDir`, with
 * their scripts beside them, and every copy source inside the folder (checked against the plan's digests and
 * listed in `SOURCES.sha256`), so the folder works wherever it is moved.
 * The first template's parent is `parentId`, else the docker image the plan's `docker://` parent names right
 * now; later layers take `-var bake_parent=ID` with the image the previous template built.
 * Returns the files written, templates first in build order.
 */
export async function emitPackerTemplates(input: {
  plan: BuildPlan;
  /** The recipe's directory, for a plan with relative paths (the default); see `execute`'s `root`. */
  root?: string;
  outDir: string;
  parentId?: string;
  /** For `docker image inspect`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<string[]> {
  const plan = rootPlan(input.plan, input.root);
  const read = readOptions(plan.target);
  if (!read.options || plan.target.driver !== "packer") {
    throw new BakeError({
      code: "target-invalid",
      message:
        plan.target.driver !== "packer"
          ? `--emit packer needs a packer target, but the recipe's target is "${plan.target.driver}"`
          : `the recipe's packer target is not valid: ${read.errors.join("; ")}`,
      hint: "set target: { driver: packer, builder: docker } (or another builder) in the recipe",
    });
  }
  const outDir = path.resolve(input.outDir);
  await makeDirectoriesAsync(outDir).catch((error: NodeJS.ErrnoException) => {
    throw new BakeError({
      code: "directory-uncreatable",
      message:
        error.code === "EEXIST"
          ? `${outDir} exists and is not a directory`
          : `cannot create ${outDir}: ${error.code ?? error.message}`,
      hint: "give --emit packer a directory bake can create and write to",
    });
  });
  const base = await dockerParent(plan, { builder: read.options.builder, env: input.env ?? process.env });
  const parent = input.parentId ?? base?.id;
  const common: TemplateOptions = {
    builder: read.options.builder,
    profile: read.options.profile,
    source: read.options.source,
    recipeRoot: plan.recipe.root,
    // Copy sources go inside the folder, so it works wherever it is moved.
    bundle: true,
    // Every layer keeps the base's entrypoint and command, so each template restores the same ones, as bake's do.
    ...(base ? { preserve: { entrypoint: base.entrypoint, cmd: base.cmd } } : {}),
  };
  const templates: string[] = [];
  const others: string[] = [];
  const sums: string[] = [];
  for (let index = 0; index < plan.layers.length; index++) {
    const compiled = compileLayerTemplate(plan, index, {
      ...common,
      ...(index === 0 && parent !== undefined ? { parent } : {}),
    });
    const [template, ...rest] = await writeTemplate(compiled, outDir);
    templates.push(template as string);
    others.push(...rest);
    for (const copy of compiled.copies) {
      const bundled = await bundleCopy({ copy, root: plan.recipe.root, outDir });
      others.push(...bundled.written);
      sums.push(...bundled.sums);
    }
  }
  if (plan.verify.length > 0) {
    const [template, ...rest] = await writeTemplate(
      compileVerifyTemplate(plan, { ...common, nonce: "manual" }),
      outDir,
    );
    templates.push(template as string);
    others.push(...rest);
  }
  if (sums.length === 0) return [...templates, ...others];
  const sumsFile = path.join(outDir, SOURCES_FILE);
  await writeFile(sumsFile, `${sums.join("\n")}\n`);
  return [...templates, ...others, sumsFile];
}

// Pins a docker:// parent to the image id it names on this machine, when there is one.
async function dockerParent(
  plan: BuildPlan,
  options: { builder: string; env: Readonly<Record<string, string | undefined>> },
): Promise<DockerImage | undefined> {
  if (options.builder !== "docker" || plan.parent.kind !== "external" || plan.parent.scheme !== "docker")
    return undefined;
  try {
    return await inspectImage(plan.parent.location, { env: options.env, cwd: plan.recipe.root });
  } catch {
    return undefined;
  }
}

/**
 * What `bake plan --emit packer DIR` prints: the templates written, and the exact commands that validate and
 * build them with Packer alone (each template's `-var bake_parent=...` included when it has no default).
 */
export function describeEmitted(input: { files: readonly string[]; plan: BuildPlan; cwd: string }): string {
  const shown = (file: string) => {
    const relative = path.relative(input.cwd, file);
    return shellQuote(relative.startsWith("..") || relative === "" ? file : relative);
  };
  const templates = input.files.filter((file) => file.endsWith(".pkr.json"));
  const parentVar = templates.map((file, index) => {
    if (index === 0 && hasParentDefault(file)) return "";
    const parent = input.plan.parent;
    // The verify template starts from the image the last layer made; a gce parent is passed as Packer needs it.
    if (index === 0 && parent.kind === "external" && parent.scheme === "gce") {
      return `-var ${shellQuote(`bake_parent=${parent.location}`)} `;
    }
    return "-var bake_parent=IMAGE_ID ";
  });
  const command = (verb: string) =>
    templates.map((file, index) => `  packer ${verb} ${parentVar[index]}${shown(file)}`);
  const lines = [
    `wrote ${templates.length} Packer template(s) and ${input.files.length - templates.length} file(s) beside them:`,
    ...templates.map((file) => `  ${shown(file)}`),
    input.files.some((file) => path.basename(file) === SOURCES_FILE)
      ? `the folder is self-contained: copy sources are inside it (checksums in ${SOURCES_FILE}), so it can be moved`
      : "the folder is self-contained (it needs no file from the recipe), so it can be moved",
    "check them with Packer alone:",
    ...command("validate"),
    "build them in order (IMAGE_ID: the image the template before it made; the verify build fails when a check fails):",
    ...command("build"),
  ];
  if (input.plan.secrets.length > 0) {
    lines.push(
      `secret variables come from the environment, never the command line: ${input.plan.secrets.map((name) => `PKR_VAR_${name}`).join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

// Whether a written template already names its parent (a pinned docker image), so it needs no -var.
function hasParentDefault(file: string): boolean {
  try {
    const template = JSON.parse(readFileSync(file, "utf8")) as {
      variable?: { bake_parent?: { default?: unknown } };
    };
    return typeof template.variable?.bake_parent?.default === "string";
  } catch {
    return false;
  }
}
