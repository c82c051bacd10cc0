import path from "node:path";
import { BakeError } from "../../errors.js";
import type { BuildPlan } from "../../plan/types.js";
import { type DockerImage, inspectImage } from "./docker.js";
import { readOptions } from "./options.js";
import { compileLayerTemplate, compileVerifyTemplate, type TemplateOptions } from "./template.js";
import { writeTemplate } from "./write-template.js";

/**
 * Writes one Packer template per layer (`01-<layer>.pkr.json`, ...) and `verify.pkr.json` into `outDir`, with
 * their scripts beside them. Copy sources are referred to relative to the templates (`${path.root}/...`).
 * The first template's parent is `parentId`, else the docker image the plan's `docker://` parent names right
 * now; later layers take `-var bake_parent=ID` with the image the previous template built.
 * Returns the files written, templates first in build order.
 */
export async function emitPackerTemplates(input: {
  plan: BuildPlan;
  outDir: string;
  parentId?: string;
  /** For `docker image inspect`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<string[]> {
  const { plan } = input;
  const read = readOptions(plan.target);
  if (!read.options || plan.target.driver !== "packer") {
    throw new BakeError({
      code: "packer-target-invalid",
      message:
        plan.target.driver !== "packer"
          ? `--emit packer needs a packer target, but the recipe's target is "${plan.target.driver}"`
          : `the recipe's packer target is not valid: ${read.errors.join("; ")}`,
      hint: "set target: { driver: packer, builder: docker } (or another builder) in the recipe",
    });
  }
  const outDir = path.resolve(input.outDir);
  const base = await dockerParent(plan, { builder: read.options.builder, env: input.env ?? process.env });
  const parent = input.parentId ?? base?.id;
  const common: TemplateOptions = {
    builder: read.options.builder,
    profile: read.options.profile,
    source: read.options.source,
    recipeRoot: path.relative(outDir, plan.recipe.root).split(path.sep).join("/") || ".",
    // Every layer keeps the base's entrypoint and command, so each template restores the same ones, as bake's do.
    ...(base ? { preserve: { entrypoint: base.entrypoint, cmd: base.cmd } } : {}),
  };
  const templates: string[] = [];
  const others: string[] = [];
  for (let index = 0; index < plan.layers.length; index++) {
    const compiled = compileLayerTemplate(plan, index, {
      ...common,
      ...(index === 0 && parent !== undefined ? { parent } : {}),
    });
    const [template, ...rest] = await writeTemplate(compiled, outDir);
    templates.push(template as string);
    others.push(...rest);
  }
  if (plan.verify.length > 0) {
    const [template, ...rest] = await writeTemplate(
      compileVerifyTemplate(plan, { ...common, nonce: "manual" }),
      outDir,
    );
    templates.push(template as string);
    others.push(...rest);
  }
  return [...templates, ...others];
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

/** What `bake plan --emit packer DIR` prints: the templates written and how to build them with Packer alone. */
export function describeEmitted(input: { files: readonly string[]; plan: BuildPlan; cwd: string }): string {
  const shown = (file: string) => {
    const relative = path.relative(input.cwd, file);
    return relative.startsWith("..") || relative === "" ? file : relative;
  };
  const templates = input.files.filter((file) => file.endsWith(".pkr.json"));
  const lines = [
    `wrote ${templates.length} Packer template(s) and ${input.files.length - templates.length} file(s) beside them:`,
    ...templates.map((file) => `  ${shown(file)}`),
    "build them in order with Packer alone (each layer starts from the image the one before it made):",
    ...templates.map((file, index) =>
      index === 0
        ? `  packer build ${shown(file)}`
        : `  packer build -var bake_parent=IMAGE_ID ${shown(file)}`,
    ),
  ];
  if (input.plan.secrets.length > 0) {
    lines.push(
      `secret variables come from the environment: ${input.plan.secrets.map((name) => `PKR_VAR_${name}`).join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
