/**
 * Every command, declared in one place: its help, its options, and the module that runs it (loaded lazily,
 * so `bake --version` or `bake history` never load the Google client or listr2).
 * Each module `./commands/<name>.js` exports `run: CommandRun`.
 */

import type { CommandRun } from "./io.js";

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
  /**
   * Loads the module that runs it. A literal `import()` per command lets the bundler (scripts/bundle-cli.mjs) give
   * each command its own chunk, and vitest resolve the `.ts` source under test.
   */
  load: () => Promise<{ run: CommandRun }>;
}

const manifestOption: OptionSpec = {
  type: "string",
  value: "LOCATION",
  description:
    "lineage manifest: a file, git+file|ssh|https://...#branch or postgres://user@host/db?schema=bake (default: $BAKE_MANIFEST, else ./bake.lineage.jsonl)",
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
    load: () => import("./commands/init.js"),
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
    load: () => import("./commands/validate.js"),
  },
  {
    name: "plan",
    summary: "compile a recipe and show its layers, steps and digests",
    usage:
      "bake plan RECIPE|DIR|PATTERN... [--json] [--emit packer DIR] [--matrix github|gitlab [--outdated]]",
    examples: [
      "bake plan recipe.yaml",
      "bake plan recipe.yaml --json > plan.json",
      "bake plan recipe.yaml --emit packer ./pkr",
      "bake plan images/ --json",
      "bake plan images/ --matrix github --outdated",
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
      matrix: {
        type: "string",
        value: "CI",
        description: "for a tree: write a dependency-ordered job matrix (github) or child pipeline (gitlab)",
      },
      outdated: { type: "boolean", description: "for a tree: keep only the stale recipes in --matrix" },
      manifest: manifestOption,
    },
    positionals: { min: 1, max: 1000 },
    load: () => import("./commands/plan.js"),
  },
  {
    name: "build",
    summary: "build, verify and register an image, or a whole tree of recipes in dependency order",
    usage:
      "bake build RECIPE|DIR|PATTERN... [--jobs N] [--fail-fast] [--outdated] [--target DRIVER] [--var NAME=VALUE]... [--var-file FILE]... [--no-cache] [--no-inventory] [--manifest PATH] [--junit FILE] [--json]",
    examples: [
      "bake build recipe.yaml",
      "bake build recipe.yaml --var app_version=2.5.0",
      "CI=1 bake build recipe.yaml --json",
      "bake build images/ --jobs 2",
      "bake build --outdated images/",
    ],
    options: {
      ...varOptions,
      target: targetOption,
      "no-cache": { type: "boolean", description: "rebuild every layer" },
      "no-inventory": {
        type: "boolean",
        description: "record no package inventory (and skip reading it on the builder)",
      },
      jobs: {
        type: "string",
        value: "N",
        description:
          "recipes of a tree built at once (default: one per core for local, 4 for packer and gce)",
      },
      "fail-fast": { type: "boolean", description: "stop the whole tree at the first failure" },
      outdated: {
        type: "boolean",
        description: "build only the stale recipes of a tree (see bake outdated)",
      },
      manifest: manifestOption,
      junit: {
        type: "string",
        value: "FILE",
        description: "also write the verify checks as a JUnit XML report",
      },
      json: { type: "boolean", description: "print one JSON event per line" },
    },
    positionals: { min: 1, max: 1000 },
    load: () => import("./commands/build.js"),
  },
  {
    name: "outdated",
    summary: "say which recipes' newest images are stale, and why",
    usage: "bake outdated [DIR|RECIPE|PATTERN...] [--json]",
    examples: [
      "bake outdated",
      "bake outdated images/ --json",
      "bake outdated images/ || bake build --outdated images/",
    ],
    options: { ...varOptions, target: targetOption, manifest: manifestOption, json: jsonOption },
    positionals: { min: 0, max: 1000 },
    load: () => import("./commands/outdated.js"),
  },
  {
    name: "history",
    summary: "show the lineage tree",
    usage: "bake history [LINEAGE] [--all] [--json] [--format mermaid|dot]",
    examples: [
      "bake history",
      "bake history web --json",
      "bake history --all",
      "bake history --format mermaid",
    ],
    options: {
      all: { type: "boolean", description: "include layer records" },
      format: {
        type: "string",
        value: "FORMAT",
        description: "draw the lineage tree: mermaid (rendered by GitHub and GitLab) or dot (Graphviz)",
      },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 0, max: 1 },
    load: () => import("./commands/history.js"),
  },
  {
    name: "show",
    summary: "show one image record",
    usage: "bake show REF [--json]",
    examples: ["bake show web@stable", "bake show 3f2a9c", "bake show web#12 --json"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 1, max: 1 },
    load: () => import("./commands/show.js"),
  },
  {
    name: "trace",
    summary: "show the chain from an image (or server) down to its external base",
    usage: "bake trace REF|SERVER [--json]",
    examples: ["bake trace web@stable", "bake trace web-17 --target gce"],
    options: { manifest: manifestOption, json: jsonOption, target: targetOption },
    positionals: { min: 1, max: 1 },
    load: () => import("./commands/trace.js"),
  },
  {
    name: "diff",
    summary: "show what differs between two images",
    usage: "bake diff REF REF [--json]",
    examples: ["bake diff web#11 web#12"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 2, max: 2 },
    load: () => import("./commands/diff.js"),
  },
  {
    name: "promote",
    summary: "point a channel at an image",
    usage: "bake promote REF CHANNEL",
    examples: ["bake promote web#12 stable"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 2, max: 2 },
    load: () => import("./commands/promote.js"),
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
    load: () => import("./commands/revoke.js"),
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
    load: () => import("./commands/deprecate.js"),
  },
  {
    name: "fsck",
    summary: "re-hash every record and check every link",
    usage: "bake fsck [--json]",
    examples: ["bake fsck", "bake fsck --manifest ci/bake.lineage.jsonl --json"],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 0, max: 0 },
    load: () => import("./commands/fsck.js"),
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
    load: () => import("./commands/export.js"),
  },
  {
    name: "push",
    summary: "push an image to a registry and record the push (a publish event)",
    usage: "bake push REF docker://REGISTRY/REPO:TAG [--authfile FILE] [--json]",
    examples: [
      "bake push web@stable docker://registry.example.com:5000/team/web:2.4.0",
      "bake push web#12 docker://127.0.0.1:5000/web:12 --authfile ci/auth.json --json",
    ],
    options: {
      authfile: {
        type: "string",
        value: "FILE",
        description:
          "registry credentials (a containers auth.json); default: $REGISTRY_AUTH_FILE, ~/.config/containers/auth.json, ~/.docker/config.json",
      },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 2, max: 2 },
    load: () => import("./commands/push.js"),
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
    load: () => import("./commands/gc.js"),
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
    load: () => import("./commands/fleet.js"),
  },
  {
    name: "rollout",
    summary: "replace a managed group's servers with instances of a verified image",
    usage:
      "bake rollout REF --target gce --group NAME (--zone ZONE | --region REGION) [--max-surge N|N%] [--max-unavailable N|N%] [--min-ready DURATION] [--timeout DURATION] [--no-rollback] [--keep N] [--recipe RECIPE] [--dry-run] [--json]",
    examples: [
      "bake rollout web@stable --target gce --group web --zone us-central1-a --max-surge 3 --max-unavailable 0",
      "bake rollout web#12 --target gce --group web --region us-central1 --max-surge 10% --dry-run",
    ],
    options: {
      target: targetOption,
      group: { type: "string", value: "NAME", description: "the managed instance group" },
      zone: { type: "string", value: "ZONE", description: "the zone of a zonal group" },
      region: { type: "string", value: "REGION", description: "the region of a regional group" },
      "max-surge": {
        type: "string",
        value: "N|N%",
        description: "instances created above the group's size while replacing (default: 1)",
      },
      "max-unavailable": {
        type: "string",
        value: "N|N%",
        description: "instances allowed to be unavailable while replacing (default: 0)",
      },
      "min-ready": {
        type: "string",
        value: "DURATION",
        description: "how long a new instance must stay healthy to count as replaced (default: 0s)",
      },
      timeout: {
        type: "string",
        value: "DURATION",
        description: "how long the update may take before bake rolls back (default: 30m)",
      },
      "no-rollback": { type: "boolean", description: "on failure, leave the group as it is" },
      keep: {
        type: "string",
        value: "N",
        description:
          "after success, delete the lineage's bake-made templates beyond the newest N (unused ones only)",
      },
      recipe: {
        type: "string",
        value: "RECIPE",
        description: "recipe whose gce options, retain.keep and rollout.checks to use",
      },
      "dry-run": { type: "boolean", description: "say what would change, change nothing" },
      manifest: manifestOption,
      json: jsonOption,
    },
    positionals: { min: 1, max: 1 },
    load: () => import("./commands/rollout.js"),
  },
  {
    name: "manifest",
    summary: "set up, inspect or copy a lineage store",
    usage: "bake manifest init|info [--manifest LOCATION] [--json] | bake manifest copy SRC DST [--json]",
    examples: [
      "bake manifest init --manifest postgres://bake@db:5432/infra?schema=bake",
      "bake manifest info --manifest git+ssh://git@git.example.com/infra/lineage.git --json",
      "bake manifest copy bake.lineage.jsonl postgres://bake@db:5432/infra",
    ],
    options: { manifest: manifestOption, json: jsonOption },
    positionals: { min: 1, max: 3 },
    load: () => import("./commands/manifest.js"),
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
    load: () => import("./commands/sbom.js"),
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
    load: () => import("./commands/query.js"),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name);
}
