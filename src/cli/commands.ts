/**
 * Every command, declared in one place: its help, its options, and the module that runs it (loaded lazily,
 * so `bake --version` or `bake history` never load the Google client or listr2).
 * Each module `./commands/<module>.js` exports `run: CommandRun`.
 */

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in help; `VALUE` names the argument. */
  description: string;
  value?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  examples: string[];
  options: Record<string, OptionSpec>;
  /** Lowest and highest positional count. */
  positionals: { min: number; max: number };
  module: string;
}

const manifestOption: OptionSpec = {
  type: "string",
  value: "PATH",
  description: "lineage manifest file (default: $BAKE_MANIFEST, else ./bake.lineage.jsonl)",
};
const jsonOption: OptionSpec = { type: "boolean", description: "print machine-readable JSON" };
const varOptions: Record<string, OptionSpec> = {
  var: {
    type: "string",
    multiple: true,
    value: "NAME=VALUE",
    description: "set a variable (repeatable; wins over --var-file and BAKE_VAR_*)",
  },
  "var-file": {
    type: "string",
    multiple: true,
    value: "FILE",
    description: "read variables from a YAML or JSON file (repeatable)",
  },
};
const targetOption: OptionSpec = {
  type: "string",
  value: "DRIVER",
  description: "override the recipe's target driver: local, packer or gce",
};

export const COMMANDS: CommandSpec[] = [
  {
    name: "init",
    summary: "write a starter recipe from a template",
    usage: "bake init [--template NAME] [DIR]",
    examples: ["bake init", "bake init --template app ./service", "bake init --list"],
    options: {
      template: { type: "string", value: "NAME", description: "template to use (default: base)" },
      list: { type: "boolean", description: "list the templates and exit" },
    },
    positionals: { min: 0, max: 1 },
    module: "init",
  },
  {
    name: "validate",
    summary: "check a recipe against the schema and bake's rules",
    usage: "bake validate RECIPE [--json] [--var NAME=VALUE]... [--var-file FILE]...",
    examples: [
      "bake validate recipe.yaml",
      "bake validate recipe.yaml --json",
      "bake validate recipe.yaml --var-file ci/vars.yaml --var app_version=2.5.0",
    ],
    options: { ...varOptions, json: jsonOption },
    positionals: { min: 1, max: 1 },
    module: "validate",
  },
  {
    name: "plan",
    summary: "compile a recipe and show its layers, steps and digests",
    usage: "bake plan RECIPE [--json] [--emit packer DIR]",
    examples: [
      "bake plan recipe.yaml",
      "bake plan recipe.yaml --json > plan.json",
      "bake plan recipe.yaml --emit packer ./pkr",
    ],
    options: {
      ...varOptions,
      json: jsonOption,
      target: targetOption,
      emit: {
        type: "string",
        value: "FORMAT",
        description: "write driver templates (packer) to the directory given as --out",
      },
      out: { type: "string", value: "DIR", description: "directory for --emit" },
    },
    positionals: { min: 1, max: 2 },
    module: "plan",
  },
  {
    name: "build",
    summary: "build, verify and register an image",
    usage:
      "bake build RECIPE [--target DRIVER] [--var NAME=VALUE]... [--var-file FILE]... [--no-cache] [--manifest PATH] [--junit FILE] [--json]",
    examples: [
      "bake build recipe.yaml",
      "bake build recipe.yaml --var app_version=2.5.0",
      "CI=1 bake build recipe.yaml --json",
    ],
    options: {
      ...varOptions,
      target: targetOption,
      "no-cache": { type: "boolean", description: "rebuild every layer" },
      manifest: manifestOption,
      junit: {
        type: "string",
        value: "FILE",
        description: "also write the verify checks as a JUnit XML report",
      },
      json: { type: "boolean", description: "print one JSON event per line" },
    },
    positionals: { min: 1, max: 1 },
    module: "build",
  },
  {
    name: "history",
    summary: "show the lineage tree",
    usage: "bake history [LINEAGE] [--all] [--json]",
    examples: ["bake history", "bake history web --json", "bake history --all"],
    options: {
      all: { type: "boolean", description: "include layer records" },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 0, max: 1 },
    module: "history",
  },
  {
    name: "show",
    summary: "show one image record",
    usage: "bake show REF [--json]",
    examples: ["bake show web@stable", "bake show 3f2a9c", "bake show web#12 --json"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 1, max: 1 },
    module: "show",
  },
  {
    name: "trace",
    summary: "show the chain from an image (or server) down to its external base",
    usage: "bake trace REF|SERVER [--json]",
    examples: ["bake trace web@stable", "bake trace web-17 --target gce"],
    options: { manifest: manifestOption, json: jsonOption, target: targetOption },
    positionals: { min: 1, max: 1 },
    module: "trace",
  },
  {
    name: "diff",
    summary: "show what differs between two images",
    usage: "bake diff REF REF [--json]",
    examples: ["bake diff web#11 web#12"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 2, max: 2 },
    module: "diff",
  },
  {
    name: "promote",
    summary: "point a channel at an image",
    usage: "bake promote REF CHANNEL",
    examples: ["bake promote web#12 stable"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 2, max: 2 },
    module: "promote",
  },
  {
    name: "revoke",
    summary: "revoke an image, optionally with every descendant",
    usage: "bake revoke REF --reason TEXT [--cascade]",
    examples: ['bake revoke web#12 --reason "CVE-2026-1234" --cascade'],
    options: {
      reason: { type: "string", value: "TEXT", description: "why (required)" },
      cascade: { type: "boolean", description: "also revoke every descendant" },
      target: targetOption,
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 1, max: 1 },
    module: "revoke",
  },
  {
    name: "deprecate",
    summary: "mark an image deprecated: still usable, no longer the lineage's default",
    usage: "bake deprecate REF [--reason TEXT]",
    examples: ["bake deprecate web#11", 'bake deprecate web@2.3.0 --reason "end of support for 2.3"'],
    options: {
      reason: {
        type: "string",
        value: "TEXT",
        description: 'why (default: "superseded by" the newest active image of its lineage)',
      },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 1, max: 1 },
    module: "deprecate",
  },
  {
    name: "fsck",
    summary: "re-hash every record and check every link",
    usage: "bake fsck [--json]",
    examples: ["bake fsck", "bake fsck --manifest ci/bake.lineage.jsonl --json"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 0, max: 0 },
    module: "fsck",
  },
  {
    name: "export",
    summary: "write a local image as an OCI or Docker archive",
    usage: "bake export REF [--format oci-archive|docker-archive] -o FILE",
    examples: [
      "bake export web@stable -o web.tar",
      "bake export web#3 --format docker-archive -o web.tar && docker load -i web.tar",
    ],
    options: {
      format: { type: "string", value: "FORMAT", description: "oci-archive (default) or docker-archive" },
      output: { type: "string", short: "o", value: "FILE", description: "archive to write" },
      manifest: manifestOption,
    },
    positionals: { min: 1, max: 1 },
    module: "export",
  },
  {
    name: "gc",
    summary: "remove what killed runs left behind and unreferenced blobs",
    usage: "bake gc [--target DRIVER] [--older-than DURATION] [--dry-run]",
    examples: ["bake gc", "bake gc --dry-run --json", "bake gc --target gce --older-than 6h"],
    options: {
      target: targetOption,
      "older-than": {
        type: "string",
        value: "DURATION",
        description: "only what runs older than this left (default 1h for cloud targets)",
      },
      "dry-run": { type: "boolean", description: "list, remove nothing" },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 0, max: 0 },
    module: "gc",
  },
  {
    name: "fleet",
    summary: "map running servers to their image ancestry",
    usage: "bake fleet [--target DRIVER] [--json]",
    examples: ["bake fleet --target gce", "bake fleet --json"],
    options: {
      target: targetOption,
      manifest: manifestOption,
      json: jsonOption,
      recipe: { type: "string", value: "RECIPE", description: "recipe whose target options to use" },
    },
    positionals: { min: 0, max: 0 },
    module: "fleet",
  },
  {
    name: "sbom",
    summary: "print an image's package inventory (CycloneDX or SPDX JSON)",
    usage: "bake sbom REF [--format cyclonedx|spdx] [-o FILE]",
    examples: ["bake sbom web@stable", "bake sbom web#12 --format spdx -o web.spdx.json"],
    options: {
      format: {
        type: "string",
        value: "FORMAT",
        description: "cyclonedx (default, 1.6 JSON) or spdx (2.3 JSON)",
      },
      output: { type: "string", short: "o", value: "FILE", description: "write to FILE instead of stdout" },
      manifest: manifestOption,
    },
    positionals: { min: 1, max: 1 },
    module: "sbom",
  },
  {
    name: "query",
    summary: "find the images (and servers) holding a package",
    usage: "bake query package NAME[@RANGE] [--active-only] [--json]",
    examples: [
      "bake query package openssl",
      'bake query package "openssl@<3.0.13" --active-only',
      'bake query package "libc6@>=2.36,<2.37" --json',
    ],
    options: {
      "active-only": { type: "boolean", description: "only images that are neither deprecated nor revoked" },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 2, max: 2 },
    module: "query",
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name);
}
