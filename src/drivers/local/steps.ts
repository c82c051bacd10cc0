import { basename, join } from "node:path";
import { BakeError, BuildFailedError } from "../../errors.js";
import { revealEnv, revealPlanString, type SecretValues } from "../../plan/secrets.js";
import type { PlannedCopyStep, PlannedFileStep, PlannedRunStep } from "../../plan/types.js";
import { lstat, readlink } from "../../util/fs-async.js";
import type { Reporter } from "../events.js";
import type { IdMapping } from "./idmap.js";
import { bindOver, lookupImagePath, resolveImageUser } from "./image-fs.js";
import { runInSandbox, type SandboxBind } from "./sandbox.js";
import { type Owner, UpperWriter } from "./upper-write.js";

/** Everything a step needs to change a layer. */
export interface StepContext {
  upper: string;
  lowers: string[];
  scratch: string;
  mapping: IdMapping;
  network: "host" | "none";
  binds: SandboxBind[];
  recipeRoot: string;
  secrets: SecretValues;
  signal: AbortSignal;
  reporter: Reporter;
  layer: string;
  step: number;
}

/** Runs a `run` step in a sandbox over the layer; a non-zero exit fails the build. */
export async function runStep(step: PlannedRunStep, ctx: StepContext): Promise<number> {
  const argv = step.script !== undefined ? ["/bin/sh", "-c", step.script] : (step.argv ?? []);
  if (argv.length === 0)
    throw new BakeError({ code: "step-invalid", message: "run step has neither script nor argv" });
  if (step.workdir !== undefined) {
    // Like a Dockerfile WORKDIR: a working directory the image lacks is created (owned by root) in this layer.
    const view = { dirs: [ctx.upper, ...ctx.lowers], binds: ctx.binds };
    const { path, entry } = await lookupImagePath(view.dirs, step.workdir, { followLast: true });
    // A directory under a host base's binds is the host's own (the sandbox makes mount points for those).
    if (!entry && !bindOver(view, path)) {
      const writer = new UpperWriter({
        upper: ctx.upper,
        lowers: ctx.lowers,
        mapping: ctx.mapping,
        binds: ctx.binds,
      });
      await writer.ensureDir(step.workdir, { mode: 0o755, owner: { uid: 0, gid: 0 } });
      await writer.applyOwners();
    }
  }
  let result: { exitCode: number };
  try {
    result = await runInSandbox({
      lowerDirs: ctx.lowers,
      upperDir: ctx.upper,
      scratchDir: ctx.scratch,
      argv,
      env: revealEnv(step.env, ctx.secrets),
      network: ctx.network,
      binds: ctx.binds,
      signal: ctx.signal,
      timeoutMs: step.timeoutMs,
      user: step.user,
      workdir: step.workdir,
      onOutput: (stream, line) =>
        ctx.reporter.emit({ type: "output", stream, line, layer: ctx.layer, step: ctx.step }),
    });
  } catch (error) {
    if (error instanceof BakeError && error.code === "step-timeout") {
      throw new BuildFailedError({
        code: "step-timeout",
        message: `the step ${error.message}`,
        cause: error,
      });
    }
    throw error;
  }
  if (result.exitCode !== 0) {
    const detail = result.exitCode === 127 ? " (command not found in the image?)" : "";
    throw new BuildFailedError({
      code: "step-failed",
      message: `the step exited with code ${result.exitCode}${detail}`,
    });
  }
  return result.exitCode;
}

/** Copies a file or a directory's contents from the recipe's directory into the layer. */
export async function copyStep(step: PlannedCopyStep, ctx: StepContext): Promise<void> {
  const writer = new UpperWriter({
    upper: ctx.upper,
    lowers: ctx.lowers,
    mapping: ctx.mapping,
    binds: ctx.binds,
  });
  const owner = await ownerOf(step.owner, ctx);
  const source = join(ctx.recipeRoot, step.from);
  const stats = await lstat(source).catch(() => undefined);
  if (!stats) {
    throw new BuildFailedError({
      code: "copy-changed",
      message: `copy source ${step.from} no longer exists`,
    });
  }
  if (!stats.isDirectory()) {
    const to = step.to.endsWith("/") ? `${step.to}${basename(step.from)}` : step.to;
    if (stats.isSymbolicLink()) await writer.symlink(to, await readlink(source), owner);
    else await writer.writeFile(to, { from: source }, step.mode ?? stats.mode & 0o7777, owner);
    await writer.applyOwners();
    return;
  }
  const base = await writer.ensureDir(step.to, { mode: 0o755, owner });
  for (const entry of step.entries) {
    if (entry.path === "") continue;
    const target = `${base === "/" ? "" : base}/${entry.path}`;
    const from = join(source, entry.path);
    if (entry.type === "dir") await writer.ensureDir(target, { mode: entry.mode, owner });
    else if (entry.type === "symlink")
      await writer.symlink(target, entry.target ?? (await readlink(from)), owner);
    else {
      // The plan digested a regular file here; never follow a symlink swapped in since then.
      const now = await lstat(from).catch(() => undefined);
      if (!now?.isFile()) {
        throw new BuildFailedError({
          code: "copy-changed",
          message: `copy source ${step.from}/${entry.path} changed since the plan was made (no longer a regular file)`,
        });
      }
      await writer.writeFile(target, { from }, step.mode ?? entry.mode, owner);
    }
  }
  await writer.applyOwners();
}

/** Writes a file with the given content (secrets filled in at this moment only). */
export async function fileStep(step: PlannedFileStep, ctx: StepContext): Promise<void> {
  const writer = new UpperWriter({
    upper: ctx.upper,
    lowers: ctx.lowers,
    mapping: ctx.mapping,
    binds: ctx.binds,
  });
  const owner = await ownerOf(step.owner, ctx);
  const data = Buffer.from(revealPlanString(step.content, ctx.secrets), "utf8");
  await writer.writeFile(step.path, { data }, step.mode ?? 0o644, owner);
  await writer.applyOwners();
}

async function ownerOf(spec: string | undefined, ctx: StepContext): Promise<Owner> {
  if (spec === undefined) return { uid: 0, gid: 0 };
  const user = await resolveImageUser({ dirs: [ctx.upper, ...ctx.lowers], binds: ctx.binds }, spec);
  return { uid: user.uid, gid: user.gid };
}
