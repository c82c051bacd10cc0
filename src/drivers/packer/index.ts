import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { BakeError, BuildFailedError } from "../../errors.js";
import { GuestInventoryReader, reportMarker } from "../../inventory/guest-report.js";
import type { PackageInventory } from "../../inventory/types.js";
import type { SecretValues } from "../../plan/secrets.js";
import type { BuildPlan, ParentSpec } from "../../plan/types.js";
import type { TargetSpec } from "../../recipe/types.js";
import { mkdtemp, rm } from "../../util/fs-async.js";
import { BuilderInventories } from "../builder-inventories.js";
import type {
  Artifact,
  BakeLayerInput,
  Driver,
  DriverContext,
  InventoryInput,
  PrefetchInput,
  PrepareResult,
  ResolvedImage,
  VerifyInput,
  VerifyResult,
} from "../driver.js";
import { createRedactor } from "../redact.js";
import { type DockerImage, inspectImage, removeContainers } from "./docker.js";
import { type MachineLine, plainUiText, uiLine } from "./machine-readable.js";
import { type PackerOptions, readOptions } from "./options.js";
import { packerVersion } from "./packer-version.js";
import { LayerProgress } from "./progress.js";
import { type PackerRun, runPackerBuild } from "./run-packer.js";
import {
  type CompiledTemplate,
  compileInventoryTemplate,
  compileLayerTemplate,
  compileVerifyTemplate,
  inventoryScriptPath,
} from "./template.js";
import { VerifyProgress } from "./verify-progress.js";
import { writeTemplate } from "./write-template.js";

export { emitPackerTemplates } from "./emit.js";

/** The packer driver: each layer is one `packer build` of a generated HCL2 JSON template. */
export function createDriver(): Driver {
  return new PackerDriver();
}

class PackerDriver implements Driver {
  readonly id = "packer";
  private readonly versions = new Map<string, Promise<string>>();
  private readonly configs = new Map<string, DockerConfig>();
  // `docker image inspect` of an external parent, started by prefetch() and taken (once) by resolve().
  private readonly parents = new Map<string, Promise<DockerImage | undefined>>();

  prefetch(input: PrefetchInput): void {
    const { options } = readOptions(input.target);
    if (!options) return;
    this.version(options.packerPath ?? this.defaultPackerPath(input), input).catch(() => undefined);
    const parent = input.parent;
    if (parent?.kind === "external" && parent.scheme === "docker" && !this.parents.has(parent.location)) {
      const image = inspectImage(parent.location, input);
      image.catch(() => undefined);
      this.parents.set(parent.location, image);
    }
  }
  private readonly inventories = new BuilderInventories();

  prepare(target: TargetSpec, plan?: Pick<BuildPlan, "config">): PrepareResult {
    const { warnings, errors } = readOptions(target);
    // Only the docker builder's commit carries a runtime config; machine images start services from their init.
    if (plan?.config !== undefined) {
      const builder = target.options.builder;
      const source = target.options.source as Record<string, unknown> | undefined;
      if (builder !== "docker") {
        warnings.push(
          `config: the ${String(builder)} builder makes machine images, which have no container runtime config; config is not applied`,
        );
      } else if (source !== undefined && "changes" in source) {
        warnings.push(
          "config: target.source.changes is set and replaces the changes bake derives from config",
        );
      } else if (plan.config.stopSignal !== undefined) {
        warnings.push(
          "config.stopSignal: docker commit cannot set a stop signal, so the image keeps its parent's (pass `docker run --stop-signal`)",
        );
      }
    }
    return { warnings, errors };
  }

  async resolve(
    parent: Extract<ParentSpec, { kind: "external" }>,
    ctx: DriverContext,
  ): Promise<ResolvedImage> {
    if (parent.scheme === "docker") {
      const prefetched = this.parents.get(parent.location);
      this.parents.delete(parent.location);
      const image = await (prefetched ?? inspectImage(parent.location, ctx));
      if (!image) {
        throw new BakeError({
          code: "parent-missing",
          message: `parent image "${parent.location}" is not in the local docker daemon`,
          hint: "bake never pulls: `docker pull` or `docker import` it first (see .ci/make-docker-base for an offline busybox base)",
        });
      }
      this.configs.set(image.id, { entrypoint: image.entrypoint, cmd: image.cmd, user: image.user });
      // Start the version check now; the first layer build waits for it alongside Packer.
      this.version(this.defaultPackerPath(ctx), ctx).catch(() => undefined);
      return { ref: parent.ref, id: image.id, details: { builder: "docker" } };
    }
    if (parent.scheme === "gce") {
      const floating = parent.location.includes("/family/");
      return {
        ref: parent.ref,
        id: parent.location,
        details: { builder: "googlecompute" },
        ...(floating
          ? {
              warnings: [
                `parent ${parent.ref} is an image family; Packer resolves it, so the exact image is not pinned`,
              ],
            }
          : {}),
      };
    }
    throw new BakeError({
      code: "parent-unsupported",
      message: `the packer driver cannot build from "${parent.ref}"`,
      hint: "use docker://IMAGE[:TAG] or a docker image id (docker builder), gce:IMAGE (googlecompute), or a lineage",
    });
  }

  async inspect(artifactId: string, ctx: DriverContext): Promise<Artifact | undefined> {
    if (!artifactId.startsWith("sha256:")) return { id: artifactId, driver: this.id };
    const image = await inspectImage(artifactId, ctx);
    return image ? { id: image.id, driver: this.id, details: { builder: "docker" } } : undefined;
  }

  async bake(input: BakeLayerInput): Promise<Artifact> {
    const options = targetOptions(input.plan);
    const packerPath = this.packerPath(options, input);
    // The version check runs beside the build (it costs a second); a missing or too-old Packer still fails the layer.
    const version = this.version(packerPath, input);
    version.catch(() => undefined);
    const preserve =
      options.builder === "docker" ? await this.dockerConfig(input.parent.id, input) : undefined;
    // The last layer ends with the inventory step, so the image's packages are read before it is captured.
    const last = input.layerIndex === input.plan.layers.length - 1;
    const marker =
      last && input.inventory !== false ? reportMarker(randomBytes(8).toString("hex")) : undefined;
    const compiled = compileLayerTemplate(input.plan, input.layerIndex, {
      builder: options.builder,
      profile: options.profile,
      source: options.source,
      parent: input.parent.id,
      runId: input.runId,
      recipeRoot: input.plan.recipe.root,
      ...(preserve ? { preserve } : {}),
      ...(marker ? { inventory: { marker } } : {}),
    });
    const reader = marker ? new GuestInventoryReader(marker) : undefined;
    const progress = new LayerProgress({
      layer: input.layer.name,
      titles: input.layer.steps.map((step) => step.title),
      markers: compiled.markers,
      reporter: input.reporter,
      redact: createRedactor(input.secrets),
      ...(reader
        ? { inventory: { script: `/${inventoryScriptPath(input.layer, input.layerIndex)}`, reader } }
        : {}),
    });
    let ok = false;
    try {
      const run = await this.runTemplate(compiled, {
        input,
        packerPath,
        version,
        onLine: (line) => progress.line(line),
      });
      const artifact = run.artifacts.find((candidate) => candidate.id !== undefined);
      if (!artifact?.id) {
        throw new BuildFailedError({
          code: "packer-no-artifact",
          message: "Packer finished but reported no artifact",
          hint: "the builder's source options may discard the image (docker: commit must stay true)",
        });
      }
      ok = true;
      if (reader) await this.inventories.record(artifact.id, reader);
      // The last layer's image carries the recipe's config, not its parent's: docker is asked when it matters.
      const configured = input.plan.config !== undefined && input.layerIndex === input.plan.layers.length - 1;
      if (preserve && !configured) this.configs.set(artifact.id, preserve);
      return {
        id: artifact.id,
        driver: this.id,
        details: { builder: options.builder, packerVersion: run.packerVersion, parent: input.parent.id },
      };
    } finally {
      progress.finish(ok);
      // Packer removes its container itself; after a failure or an interrupt, make sure.
      if (!ok && options.builder === "docker") await removeContainers(`bake-${input.runId}-`, input);
    }
  }

  async verify(input: VerifyInput): Promise<VerifyResult> {
    if (input.checks.length === 0) return { ok: true, checks: [] };
    const options = targetOptions(input.plan);
    const packerPath = this.packerPath(options, input);
    const version = this.version(packerPath, input);
    version.catch(() => undefined);
    const nonce = randomBytes(8).toString("hex");
    const plan: BuildPlan = { ...input.plan, verify: input.checks };
    const compiled = compileVerifyTemplate(plan, {
      builder: options.builder,
      profile: options.profile,
      source: options.source,
      parent: input.image.id,
      runId: input.runId,
      recipeRoot: input.plan.recipe.root,
      nonce,
    });
    input.reporter.emit({
      type: "verify-started",
      image: input.image.id,
      checks: input.checks.map((c) => c.name),
    });
    const progress = new VerifyProgress({
      nonce,
      checks: input.checks,
      reporter: input.reporter,
      redact: createRedactor(input.secrets),
    });
    let ok = false;
    try {
      await this.runTemplate(compiled, { input, packerPath, version, onLine: (line) => progress.line(line) });
      ok = true;
    } catch (error) {
      // The last provisioner fails the build when a check failed (so Packer alone fails too); bake has each
      // check's result from the markers before it, and reports those instead of a broken build.
      if (!(error instanceof BuildFailedError && progress.checksFailed)) throw error;
    } finally {
      if (!ok && options.builder === "docker") await removeContainers(`bake-${input.runId}-`, input);
    }
    const checks = progress.checkResults();
    return { ok: checks.every((check) => check.ok), checks };
  }

  /**
   * The packages the last layer's inventory step reported for this image. When that layer came from the cache, a
   * throwaway build of the image runs the step alone (builders that can discard their result only).
   */
  async inventory(input: InventoryInput): Promise<PackageInventory> {
    if (this.inventories.has(input.image.id)) return this.inventories.get(input.image.id);
    const options = targetOptions(input.plan);
    if (Object.keys(options.profile.discard).length === 0) return this.inventories.get(input.image.id);
    const packerPath = this.packerPath(options, input);
    const version = this.version(packerPath, input);
    version.catch(() => undefined);
    const marker = reportMarker(randomBytes(8).toString("hex"));
    const compiled = compileInventoryTemplate({
      builder: options.builder,
      profile: options.profile,
      source: options.source,
      parent: input.image.id,
      runId: input.runId,
      recipeRoot: input.plan.recipe.root,
      marker,
    });
    input.reporter.emit({
      type: "note",
      message: "inventory: the last layer came from the cache; reading its packages on a throwaway builder",
    });
    const reader = new GuestInventoryReader(marker);
    let ok = false;
    try {
      await this.runTemplate(compiled, {
        input: { ...input, secrets: {} },
        packerPath,
        version,
        // Only the report matters; the builder's own chatter stays out of the build log.
        onLine: (line) => {
          const ui = uiLine(line);
          if (ui) for (const part of plainUiText(ui.text).split("\n")) reader.take(part);
        },
      });
      ok = true;
    } finally {
      if (!ok && options.builder === "docker") await removeContainers(`bake-${input.runId}-`, input);
    }
    await this.inventories.record(input.image.id, reader);
    return this.inventories.get(input.image.id);
  }

  // Writes the template to a private temporary directory, runs it, and removes the directory.
  private async runTemplate(
    compiled: CompiledTemplate,
    context: {
      input: DriverContext & { secrets: SecretValues; runId: string };
      packerPath: string;
      version: Promise<string>;
      onLine: (line: MachineLine) => void;
    },
  ): Promise<PackerRun & { packerVersion: string }> {
    const { input } = context;
    // Named after the run, so what a killed run left (and its Packer processes) can be told apart.
    const dir = await mkdtemp(path.join(tmpdir(), `bake-packer-${input.runId}-`));
    try {
      await writeTemplate(compiled, dir);
      const run = runPackerBuild({
        packerPath: context.packerPath,
        template: path.join(dir, compiled.name),
        cwd: input.cwd,
        // Packer's own temporary files (the shell provisioner's variable file) stay in this private directory.
        env: { ...packerEnv(compiled, input), TMPDIR: dir },
        signal: input.signal,
        onLine: context.onLine,
        onStray: (line) =>
          input.reporter.emit({
            type: "output",
            stream: "stderr",
            line: createRedactor(input.secrets)(line),
          }),
      });
      // A missing or too-old Packer explains a failed build better than the build's own error.
      const [outcome, version] = await Promise.allSettled([run, context.version]);
      if (version.status === "rejected") throw version.reason;
      if (outcome.status === "rejected") throw outcome.reason;
      return { ...outcome.value, packerVersion: version.value };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private packerPath(options: PackerOptions, ctx: DriverContext): string {
    return options.packerPath ?? this.defaultPackerPath(ctx);
  }

  private version(packerPath: string, ctx: Pick<DriverContext, "cwd" | "env">): Promise<string> {
    let version = this.versions.get(packerPath);
    if (!version) {
      version = packerVersion({ packerPath, env: ctx.env, cwd: ctx.cwd });
      this.versions.set(packerPath, version);
      version.catch(() => this.versions.delete(packerPath));
    }
    return version;
  }

  private defaultPackerPath(ctx: Pick<DriverContext, "env">): string {
    return ctx.env.BAKE_PACKER ?? "packer";
  }

  // The parent's entrypoint and command: from resolve or the layer that made it, else asked of docker once.
  private async dockerConfig(imageId: string, ctx: DriverContext): Promise<DockerConfig> {
    const known = this.configs.get(imageId);
    if (known) return known;
    const image = await inspectImage(imageId, ctx);
    if (!image) {
      throw new BakeError({
        code: "parent-missing",
        message: `docker image ${imageId} no longer exists`,
        hint: "rebuild or re-import the parent image; bake never pulls",
      });
    }
    const config = { entrypoint: image.entrypoint, cmd: image.cmd, user: image.user };
    this.configs.set(imageId, config);
    return config;
  }
}

function targetOptions(plan: BuildPlan): PackerOptions {
  const read = readOptions(plan.target);
  if (!read.options) {
    throw new BakeError({
      code: "target-invalid",
      message: `the packer target's options are not valid: ${read.errors.join("; ")}`,
      hint: "set target: { driver: packer, builder: docker, source: { ... } } in the recipe",
    });
  }
  return read.options;
}

interface DockerConfig {
  entrypoint: string[] | null;
  cmd: string[] | null;
  user: string;
}

// Packer gets the caller's environment, the sensitive variables it declares, and no update checks (offline CI).
function packerEnv(
  compiled: CompiledTemplate,
  input: { env: Readonly<Record<string, string | undefined>>; secrets: SecretValues },
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...input.env, CHECKPOINT_DISABLE: "1" };
  for (const name of compiled.secrets) {
    const value = input.secrets[name];
    if (value === undefined) {
      throw new BakeError({
        code: "secret-missing",
        message: `secret variable "${name}" has no value`,
        hint: `pass it with --var ${name}=..., --var-file, or the BAKE_VAR_${name} environment variable`,
      });
    }
    env[`PKR_VAR_${name}`] = value;
  }
  return env;
}
