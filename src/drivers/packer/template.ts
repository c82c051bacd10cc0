import { BakeError } from "../../errors.js";
import { guestInventoryScript } from "../../inventory/guest-report.js";
import type { BuildPlan, PlannedCopyStep, PlannedLayer, PlannedStep } from "../../plan/types.js";
import type { ImageConfigSpec } from "../../recipe/types.js";
import type { BuilderProfile } from "./builders.js";
import { dockerChanges, type InheritedCommand } from "./config-changes.js";
import { secretCarrier } from "./env-script.js";
import { hclLiteral, hclVar } from "./hcl.js";
import {
  checkScript,
  copyPlacementScript,
  filePlacementScript,
  runScript,
  type StepScript,
  stagingPath,
  VERIFY_FAILURES,
  verifySummaryScript,
} from "./step-scripts.js";

/** A file a template refers to, relative to the template's directory. */
export interface TemplateFile {
  path: string;
  content: string;
}

/** Text in Packer's output that shows a provisioner of this step has started. */
export interface StepMarker {
  text: string;
  step: number;
}

/** A copy source the template expects inside its own folder (with `bundle`), at `path`. */
export interface BundledCopy {
  path: string;
  step: PlannedCopyStep;
}

/** One HCL2 JSON template (`*.pkr.json`) and the files beside it. */
export interface CompiledTemplate {
  /** The template's file name, such as `01-runtime.pkr.json`. */
  name: string;
  template: Record<string, unknown>;
  files: TemplateFile[];
  /** Secret variables the template declares as sensitive; Packer reads them from `PKR_VAR_<name>`. */
  secrets: string[];
  markers: StepMarker[];
  /** Copy sources to place beside the template (only with `bundle`). */
  copies: BundledCopy[];
}

/** How a plan's layers become templates for one builder. */
export interface TemplateOptions {
  builder: string;
  profile: BuilderProfile;
  /** The recipe's source options, passed through as written. */
  source: Record<string, unknown>;
  /** The parent's exact id; without it the template needs `-var bake_parent=ID`. */
  parent?: string;
  /** Names the build's containers; `bake_run_id`'s default. @default "manual" */
  runId?: string;
  /**
   * The recipe's root as templates refer to it: an absolute path, or one relative to the template's
   * directory (then written as `${path.root}/...`).
   */
  recipeRoot: string;
  /**
   * Refer to copy sources inside the template's folder (`<layer>/step-NN.files`) instead of the recipe root,
   * so the folder works wherever it is moved once they are placed there (see `copies`).
   * @default false
   */
  bundle?: boolean;
  /** docker: the parent's entrypoint, command and user, restored on commit (the builder's own would stick). */
  preserve?: InheritedCommand;
  /**
   * Ends the layer with a step that reports the image's package databases between lines carrying this marker
   * (see `guestInventoryScript`), before the image is captured. bake sets it on the last layer only.
   */
  inventory?: { marker: string };
}

/** The source block's name in every template: builds show up as `<builder>.bake`. */
export const SOURCE_NAME = "bake";

/** The inventory step's script, beside the layer's template; Packer names it when the step starts. */
export function inventoryScriptPath(layer: PlannedLayer, index: number): string {
  return `${layerBase(layer, index)}/inventory.sh`;
}

/** The template file name of a layer. */
export function layerTemplateName(layer: PlannedLayer, index: number): string {
  return `${layerBase(layer, index)}.pkr.json`;
}

/**
 * Compiles one layer to an HCL2 JSON template: a source block starting from the exact parent and a build whose
 * provisioners are the layer's steps. Pure: the same plan and options give the same bytes.
 */
export function compileLayerTemplate(
  plan: BuildPlan,
  index: number,
  options: TemplateOptions,
): CompiledTemplate {
  const layer = plan.layers[index];
  if (!layer) throw new RangeError(`layer ${index} is not in the plan`);
  const base = layerBase(layer, index);
  const files: TemplateFile[] = [];
  const markers: StepMarker[] = [];
  const secrets = new Set<string>();
  const provisioners: unknown[] = [];
  const copies: BundledCopy[] = [];
  const script = (step: number, generated: StepScript, extra: Record<string, unknown> = {}) => {
    const file = `${base}/step-${pad(step + 1)}.sh`;
    files.push({ path: file, content: generated.text });
    for (const name of generated.secrets) secrets.add(name);
    markers.push({ text: `/${file}`, step });
    provisioners.push({ shell: shellProvisioner(file, generated.secrets, extra) });
  };
  layer.steps.forEach((step, stepIndex) => {
    const header = `bake: layer "${layer.name}", step ${stepIndex + 1}: ${step.title}`;
    if (step.kind === "run") {
      const extra = step.timeoutMs === undefined ? {} : { timeout: `${step.timeoutMs}ms` };
      script(stepIndex, runScript(step, header), extra);
    } else if (step.kind === "copy") {
      const staging = stagingPath(index, stepIndex);
      const single = step.entries.length === 1 && step.entries[0]?.path === "";
      markers.push({ text: `=> ${staging}`, step: stepIndex });
      const bundled = options.bundle ? `${base}/step-${pad(stepIndex + 1)}.files` : undefined;
      if (bundled) copies.push({ path: bundled, step });
      provisioners.push({
        file: {
          source: bundled
            ? `\${path.root}/${bundled}${single ? "" : "/"}`
            : copySource(step.from, { root: options.recipeRoot, dir: !single }),
          destination: staging,
        },
      });
      script(stepIndex, copyPlacementScript(step, staging, header));
    } else {
      compileFileStep(step, { index, stepIndex, base, header, files, markers, provisioners, script });
    }
  });
  if (options.inventory) {
    const file = inventoryScriptPath(layer, index);
    files.push({ path: file, content: guestInventoryScript(options.inventory.marker) });
    provisioners.push({ shell: shellProvisioner(file, [], {}) });
  }
  return {
    name: `${base}.pkr.json`,
    template: {
      variable: variables({ secrets: [...secrets].sort(), options }),
      source: {
        [options.builder]: {
          [SOURCE_NAME]: layerSource(index, {
            ...options,
            config: index === plan.layers.length - 1 ? plan.config : undefined,
          }),
        },
      },
      build: { sources: [`source.${options.builder}.${SOURCE_NAME}`], provisioner: provisioners },
    },
    files,
    secrets: [...secrets].sort(),
    markers,
    copies,
  };
}

/**
 * Compiles the verify checks to a template that starts a fresh instance from the new image, runs each check as
 * a provisioner and keeps no artifact. `nonce` makes the result markers unforgeable by check output.
 */
export function compileVerifyTemplate(
  plan: BuildPlan,
  options: TemplateOptions & { nonce: string },
): CompiledTemplate {
  const files: TemplateFile[] = [];
  const secrets = new Set<string>();
  const provisioners: unknown[] = plan.verify.map((check, index) => {
    const file = `verify/check-${pad(index + 1)}.sh`;
    const generated = checkScript(check, {
      marker: checkMarker(options.nonce, index),
      header: `bake: verify check ${index + 1}: ${check.name}`,
    });
    files.push({ path: file, content: generated.text });
    for (const name of generated.secrets) secrets.add(name);
    // Room for every attempt and pause, so Packer's own timeout never cuts a retrying check short.
    const budgetMs = (check.retries + 1) * (check.timeoutMs + check.intervalMs) + 30_000;
    return { shell: shellProvisioner(file, generated.secrets, { timeout: `${budgetMs}ms` }) };
  });
  // First clear a failure list the image itself might carry; last, fail the build if any check failed.
  const summaryFile = "verify/summary.sh";
  files.push({
    path: summaryFile,
    content: verifySummaryScript({ marker: summaryMarker(options.nonce) }).text,
  });
  provisioners.unshift({ shell: { inline: [hclLiteral(`rm -f ${VERIFY_FAILURES}`)] } });
  provisioners.push({ shell: shellProvisioner(summaryFile, [], {}) });
  const source = withoutKeys(options.source, options.profile.discardConflicts);
  return {
    name: "verify.pkr.json",
    template: {
      variable: variables({ secrets: [...secrets].sort(), options }),
      source: {
        [options.builder]: {
          [SOURCE_NAME]: {
            ...builderDefaults("verify", options),
            ...source,
            ...options.profile.discard,
            [options.profile.parentField]: hclVar("bake_parent"),
          },
        },
      },
      build: { sources: [`source.${options.builder}.${SOURCE_NAME}`], provisioner: provisioners },
    },
    files,
    secrets: [...secrets].sort(),
    markers: [],
    copies: [],
  };
}

/**
 * Compiles an inventory-only build: a throwaway instance of the image runs the inventory step and nothing is
 * kept. For an image whose last layer came from the cache, so no layer build reported its packages.
 */
export function compileInventoryTemplate(options: TemplateOptions & { marker: string }): CompiledTemplate {
  const file = "inventory/inventory.sh";
  const source = withoutKeys(options.source, options.profile.discardConflicts);
  return {
    name: "inventory.pkr.json",
    template: {
      variable: variables({ secrets: [], options }),
      source: {
        [options.builder]: {
          [SOURCE_NAME]: {
            ...builderDefaults("inventory", options),
            ...source,
            ...options.profile.discard,
            [options.profile.parentField]: hclVar("bake_parent"),
          },
        },
      },
      build: {
        sources: [`source.${options.builder}.${SOURCE_NAME}`],
        provisioner: [{ shell: shellProvisioner(file, [], {}) }],
      },
    },
    files: [{ path: file, content: guestInventoryScript(options.marker) }],
    secrets: [],
    markers: [],
    copies: [],
  };
}

/** The prefix of the line the verify build's last provisioner prints: `<it>:passed` or `<it>:failed`. */
export function summaryMarker(nonce: string): string {
  return `bake-check:${nonce}:summary`;
}

/** The prefix of every result line a verify check prints. */
export function checkMarker(nonce: string, index: number): string {
  return `bake-check:${nonce}:${index}`;
}

function compileFileStep(
  step: Extract<PlannedStep, { kind: "file" }>,
  context: {
    index: number;
    stepIndex: number;
    base: string;
    header: string;
    files: TemplateFile[];
    markers: StepMarker[];
    provisioners: unknown[];
    script: (step: number, generated: StepScript) => void;
  },
): void {
  if (typeof step.content !== "string") {
    // Secret content never goes into a file beside the template: the script writes it in the instance.
    context.script(context.stepIndex, filePlacementScript(step, { header: context.header }));
    return;
  }
  const staging = stagingPath(context.index, context.stepIndex);
  const contentFile = `${context.base}/step-${pad(context.stepIndex + 1)}.content`;
  context.files.push({ path: contentFile, content: step.content });
  context.markers.push({ text: `=> ${staging}`, step: context.stepIndex });
  context.provisioners.push({ file: { source: `\${path.root}/${contentFile}`, destination: staging } });
  context.script(context.stepIndex, filePlacementScript(step, { staging, header: context.header }));
}

function shellProvisioner(file: string, secrets: readonly string[], extra: Record<string, unknown>) {
  return {
    script: `\${path.root}/${file}`,
    // Packer puts environment_vars on the `docker exec`/ssh command line, readable by every user in the process
    // list; from a file uploaded to the instance (and removed after) they never appear in any argv.
    ...(secrets.length > 0
      ? {
          environment_vars: secrets.map((name) => `${secretCarrier(name)}=\${base64encode(var.${name})}`),
          use_env_var_file: true,
        }
      : {}),
    ...extra,
  };
}

function variables(input: { secrets: string[]; options: TemplateOptions }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    bake_parent: {
      type: "string",
      description: "The exact image this build starts from.",
      ...(input.options.parent === undefined ? {} : { default: input.options.parent }),
    },
    bake_run_id: {
      type: "string",
      description: "Names what this build creates, so leftovers can be found.",
      default: input.options.runId ?? "manual",
    },
  };
  for (const name of input.secrets) {
    if (name in out) {
      throw new BakeError({
        code: "packer-reserved-variable",
        message: `secret variable "${name}" clashes with a variable bake declares in Packer templates`,
        hint: "rename the variable",
      });
    }
    out[name] = { type: "string", sensitive: true };
  }
  return out;
}

function layerSource(
  index: number,
  options: TemplateOptions & { config: ImageConfigSpec | undefined },
): Record<string, unknown> {
  return {
    ...options.profile.keep,
    ...builderDefaults(`${pad(index + 1)}`, options),
    ...preserveChanges(options),
    ...options.source,
    [options.profile.parentField]: hclVar("bake_parent"),
  };
}

// docker: containers get no network and a name carrying the run id (a label would end up in the image). A parent
// without an entrypoint idles on a /bin/sh command instead of an entrypoint override, which a commit cannot undo.
function builderDefaults(suffix: string, options: TemplateOptions): Record<string, unknown> {
  if (options.builder !== "docker" || "run_command" in options.source) return {};
  const idle =
    options.preserve && options.preserve.entrypoint === null
      ? ["--", "{{.Image}}", "/bin/sh"]
      : ["--entrypoint=/bin/sh", "--", "{{.Image}}"];
  // Steps and checks run as root whatever user the image names (a recipe's config.user, say): the builder's
  // --user sticks on commit, so layers pass it only when the parent has a user, which the changes then restore.
  const root =
    suffix === "verify" || suffix === "inventory" || (options.preserve?.user ?? "") !== ""
      ? ["--user=0"]
      : [];
  return {
    run_command: [
      "-d",
      "-i",
      "-t",
      "--network=none",
      ...root,
      `--name=bake-${hclVar("bake_run_id")}-${suffix}`,
      ...idle,
    ],
  };
}

// docker: the parent's entrypoint and cmd restored, and on the last layer the recipe's config (see config-changes.ts).
function preserveChanges(
  options: TemplateOptions & { config: ImageConfigSpec | undefined },
): Record<string, unknown> {
  if (options.builder !== "docker" || "changes" in options.source) return {};
  const changes = dockerChanges({ inherited: options.preserve, config: options.config });
  if (changes.length === 0) return {};
  // Packer renders these as Go templates; a value that looks like one is left to the builder's defaults.
  if (changes.some((change) => change.includes("{{"))) return {};
  return { changes: changes.map(hclLiteral) };
}

function copySource(from: string, options: { root: string; dir: boolean }): string {
  if (from.includes("{{") || options.root.includes("{{")) {
    throw new BakeError({
      code: "packer-path-template",
      message: `copy source "${from}" contains "{{", which Packer would read as a template`,
      hint: "rename the file or directory",
    });
  }
  const root = options.root.startsWith("/")
    ? hclLiteral(options.root)
    : `\${path.root}/${hclLiteral(options.root)}`;
  const relative = from.replace(/^\.\/+/, "").replace(/\/+$/, "");
  const joined =
    relative === "" || relative === "."
      ? root.replace(/\/+$/, "")
      : `${root.replace(/\/+$/, "")}/${hclLiteral(relative)}`;
  return options.dir ? `${joined}/` : joined;
}

function withoutKeys(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([key]) => !keys.includes(key)));
}

function layerBase(layer: PlannedLayer, index: number): string {
  return `${pad(index + 1)}-${layer.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
