import type { TargetSpec } from "../../recipe/types.js";
import { nearest } from "../../util/nearest.js";
import { type BuilderProfile, builderProfile, KNOWN_BUILDERS } from "./builders.js";

/** The packer target's options, checked. */
export interface PackerOptions {
  builder: string;
  profile: BuilderProfile;
  /** Source options passed through to the template as written. */
  source: Record<string, unknown>;
  /** The packer binary. @default "packer" (or `$BAKE_PACKER`) */
  packerPath?: string;
}

/** What reading the options found: the options when there are no errors. */
export interface ReadOptionsResult {
  options?: PackerOptions;
  warnings: string[];
  errors: string[];
}

const KNOWN_KEYS = ["builder", "source", "parentField", "packerPath"];

/** Checks a packer target's options without side effects (the driver's `prepare`). */
export function readOptions(target: TargetSpec): ReadOptionsResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const raw = target.options;
  for (const key of Object.keys(raw)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const guess = nearest(key, KNOWN_KEYS);
    errors.push(
      `target.${key}: unknown packer option${guess ? ` (did you mean "${guess}"?)` : ""}; builder options go under target.source`,
    );
  }
  const builder = raw.builder;
  if (typeof builder !== "string" || builder === "") {
    errors.push(`target.builder: name the Packer builder type, such as ${KNOWN_BUILDERS.join(", ")}`);
  }
  const parentField = raw.parentField;
  if (parentField !== undefined && (typeof parentField !== "string" || parentField === "")) {
    errors.push("target.parentField: must be the name of a source option, such as source_image");
  }
  const source = raw.source ?? {};
  if (typeof source !== "object" || source === null || Array.isArray(source)) {
    errors.push("target.source: must be a mapping of Packer source options");
  }
  const packerPath = raw.packerPath;
  if (packerPath !== undefined && (typeof packerPath !== "string" || packerPath === "")) {
    errors.push("target.packerPath: must be the path of the packer binary");
  }
  if (errors.length > 0 || typeof builder !== "string") return { errors, warnings };
  const profile = builderProfile(builder, parentField as string | undefined);
  if (!profile) {
    errors.push(
      `target.parentField: bake does not know which option of the "${builder}" builder holds the parent image; ` +
        `name it (bake knows ${KNOWN_BUILDERS.join(", ")})`,
    );
    return { errors, warnings };
  }
  const sourceOptions = source as Record<string, unknown>;
  if (profile.parentField in sourceOptions) {
    errors.push(
      `target.source.${profile.parentField}: bake sets the parent image itself from "from:" (pinned to an exact id); remove it`,
    );
  }
  if (builder === "docker") {
    for (const key of ["discard", "export_path"]) {
      if (key in sourceOptions)
        errors.push(`target.source.${key}: bake commits each layer to an image; remove it`);
    }
    const runCommand = sourceOptions.run_command;
    if (Array.isArray(runCommand) && !runCommand.some((arg) => /^--net(work)?=none$/.test(String(arg)))) {
      warnings.push("target.source.run_command: builds will have network access (no --network=none)");
    }
  }
  return {
    options: {
      builder,
      profile,
      source: sourceOptions,
      ...(typeof packerPath === "string" ? { packerPath } : {}),
    },
    errors,
    warnings,
  };
}
