import type { Stats } from "node:fs";
import { join } from "node:path";
import { BakeError } from "../../errors.js";
import { revealEnv } from "../../plan/secrets.js";
import type { CheckResult, PlannedCheck } from "../../plan/types.js";
import { mkdtemp, readFile, stat } from "../../util/fs-async.js";
import type { VerifyInput, VerifyResult } from "../driver.js";
import { hostBinds } from "./host-base.js";
import { getInNetns } from "./http-in-netns.js";
import { bindOver, type ImageView, lookupImagePath } from "./image-fs.js";
import { removeTree } from "./remove.js";
import { runInSandbox, type SandboxBind } from "./sandbox.js";
import { type RunningService, serviceOf, startService } from "./service.js";
import type { Store } from "./store.js";

// One attempt's result; `final` when no retry can change it (the service it needs has exited).
interface Outcome {
  ok: boolean;
  message?: string;
  final?: boolean;
}

interface CheckContext {
  lowers: string[];
  binds: SandboxBind[];
  scratch: string;
  network: "host" | "none";
  input: VerifyInput;
  index: number;
  service: RunningService | undefined;
}

/**
 * Verifies an image in fresh sandboxes made from it alone: each `run` attempt gets an empty, throwaway upper dir.
 * Checks follow their retries, interval and per-attempt timeout, and every attempt is reported.
 */
export async function verifyImage(
  input: VerifyInput & { store: Store; network: "host" | "none" },
): Promise<VerifyResult> {
  const { store, reporter } = input;
  await store.hold(input.image.id);
  const image = await store.requireImage(input.image.id);
  const spec = serviceOf(image.config);
  const needsService = input.checks.find((check) => check.kind === "http");
  if (needsService && !spec) {
    throw new BakeError({
      code: "verify-http-without-service",
      message: `check "${needsService.name}" is an http check, but the image has no entrypoint or cmd: local verify sends http checks to the image's own service, started from its command in a private network namespace, and this image starts none`,
      hint: "set config.cmd (or config.entrypoint) in the recipe to the service to check, or check with a run step",
    });
  }
  const lowers = await store.unpackedLayers(image);
  const runDir = await store.runDir(input.runId);
  const scratch = await mkdtemp(join(runDir, "verify-"));
  reporter.emit({
    type: "verify-started",
    image: input.image.id,
    checks: input.checks.map((check) => check.name),
  });
  const results: CheckResult[] = [];
  let service: RunningService | undefined;
  try {
    if (spec) {
      reporter.emit({ type: "note", message: `starting the image's service: ${JSON.stringify(spec.argv)}` });
      service = await startService({ spec, lowers, binds: hostBinds(image), scratch, signal: input.signal });
    }
    for (const [index, check] of input.checks.entries()) {
      const ctx: CheckContext = {
        lowers,
        binds: hostBinds(image),
        scratch,
        network: input.network,
        input,
        index,
        service,
      };
      results.push(await runCheck(check, ctx));
    }
  } finally {
    await service?.stop();
    await removeTree(scratch, store.mapping);
    await removeTree(runDir, store.mapping).catch(() => {});
  }
  return { ok: results.every((result) => result.ok), checks: results };
}

async function runCheck(check: PlannedCheck, ctx: CheckContext): Promise<CheckResult> {
  const { reporter, signal } = ctx.input;
  const startedAt = Date.now();
  reporter.emit({ type: "check-started", check: ctx.index, name: check.name });
  let attempts = 0;
  let outcome: Outcome = { ok: false };
  while (attempts <= check.retries) {
    signal.throwIfAborted();
    attempts += 1;
    outcome = await attempt(check, ctx);
    const { final, ...reported } = outcome;
    reporter.emit({ type: "check-attempt", check: ctx.index, attempt: attempts, ...reported });
    if (outcome.ok || final || attempts > check.retries) break;
    await sleep(check.intervalMs, signal);
  }
  if (!outcome.ok && ctx.service) showServiceOutput(ctx.service, ctx);
  const result: CheckResult = {
    name: check.name,
    ok: outcome.ok,
    attempts,
    durationMs: Date.now() - startedAt,
    ...(outcome.message === undefined ? {} : { message: outcome.message }),
  };
  reporter.emit({ type: "check-finished", check: ctx.index, ...result });
  return result;
}

async function attempt(check: PlannedCheck, ctx: CheckContext): Promise<Outcome> {
  if (check.kind === "file") return fileCheck(check, { dirs: ctx.lowers, binds: ctx.binds });
  if (check.kind === "http") return httpCheck(check, ctx);
  const argv = check.script !== undefined ? ["/bin/sh", "-c", check.script] : (check.argv ?? []);
  // While the image's service runs, a run check shares its network, as a command on the booted instance would.
  const service = ctx.service?.pid && ctx.service.exitCode() === undefined ? ctx.service : undefined;
  try {
    return await runCommandCheck(check, ctx, argv, service?.pid);
  } catch (error) {
    // The service may exit between the look above and nsenter joining it; then the check runs on its own.
    if (
      service &&
      error instanceof BakeError &&
      error.code === "sandbox-unavailable" &&
      (await exits(service))
    ) {
      return runCommandCheck(check, ctx, argv, undefined);
    }
    throw error;
  }
}

// Whether the service has exited, or does within a moment (its exit may not have been reaped yet).
async function exits(service: { exitCode(): number | undefined }): Promise<boolean> {
  for (let tries = 0; tries < 20 && service.exitCode() === undefined; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return service.exitCode() !== undefined;
}

async function runCommandCheck(
  check: Extract<PlannedCheck, { kind: "run" }>,
  ctx: CheckContext,
  argv: string[],
  joinNetworkOf: number | undefined,
): Promise<Outcome> {
  try {
    const { exitCode } = await runInSandbox({
      lowerDirs: ctx.lowers,
      scratchDir: ctx.scratch,
      argv,
      env: revealEnv(check.env, ctx.input.secrets),
      network: ctx.network,
      ...(joinNetworkOf === undefined ? {} : { joinNetworkOf }),
      binds: ctx.binds,
      signal: ctx.input.signal,
      timeoutMs: check.timeoutMs,
      user: check.user,
      workdir: check.workdir,
      onOutput: (stream, line) => ctx.input.reporter.emit({ type: "output", stream, line, check: ctx.index }),
    });
    return exitCode === 0 ? { ok: true } : { ok: false, message: `exited with code ${exitCode}` };
  } catch (error) {
    if (error instanceof BakeError && error.code === "step-timeout")
      return { ok: false, message: error.message };
    throw error;
  }
}

// Looks at the image as its sandboxes show it: under a host base's binds, the host's own files.
async function fileCheck(
  check: Extract<PlannedCheck, { kind: "file" }>,
  view: ImageView,
): Promise<{ ok: boolean; message?: string }> {
  const found = await lookupImagePath(view.dirs, check.path, { followLast: true });
  const bind = bindOver(view, found.path);
  const entry = bind ? await hostEntry(join(bind.source, found.path.slice(bind.target.length))) : found.entry;
  if (!check.exists) return entry ? { ok: false, message: `${check.path} exists` } : { ok: true };
  if (!entry) return { ok: false, message: `${check.path} does not exist` };
  if (check.mode !== undefined && (entry.stats.mode & 0o7777) !== check.mode) {
    const actual = (entry.stats.mode & 0o7777).toString(8).padStart(4, "0");
    return {
      ok: false,
      message: `${check.path} has mode ${actual}, expected ${check.mode.toString(8).padStart(4, "0")}`,
    };
  }
  if (check.contains !== undefined) {
    if (!entry.stats.isFile()) return { ok: false, message: `${check.path} is not a regular file` };
    const text = await readFile(entry.hostPath, "utf8");
    if (!text.includes(check.contains))
      return { ok: false, message: `${check.path} does not contain the expected text` };
  }
  return { ok: true };
}

// Sent from inside the service's network namespace: only the image's own service can answer it.
async function httpCheck(
  check: Extract<PlannedCheck, { kind: "http" }>,
  ctx: CheckContext,
): Promise<Outcome> {
  const service = ctx.service as RunningService;
  const exited = service.exitCode();
  if (exited !== undefined) {
    return {
      ok: false,
      final: true,
      message: `GET ${check.url}: the image's service exited with code ${exited}`,
    };
  }
  const answer = await getInNetns({
    pid: service.pid,
    url: check.url,
    timeoutMs: check.timeoutMs,
    signal: ctx.input.signal,
  });
  ctx.input.signal.throwIfAborted();
  if ("error" in answer) {
    const gone = service.exitCode();
    const why = gone === undefined ? "" : ` (the image's service exited with code ${gone})`;
    return {
      ok: false,
      final: gone !== undefined,
      message: `GET ${check.url} failed: ${answer.error}${why}`,
    };
  }
  if (answer.status !== check.status) {
    return { ok: false, message: `GET ${check.url} returned ${answer.status}, expected ${check.status}` };
  }
  if (check.bodyContains !== undefined && !answer.body.includes(check.bodyContains)) {
    return { ok: false, message: `GET ${check.url}: the body does not contain the expected text` };
  }
  return { ok: true };
}

// A failed check shows what the service said, as a console log would; the runner hides secrets in it like any output.
function showServiceOutput(service: RunningService, ctx: CheckContext): void {
  const { reporter } = ctx.input;
  const lines = service.output();
  const exited = service.exitCode();
  const state = exited === undefined ? "still running" : `exited with code ${exited}`;
  reporter.emit({
    type: "note",
    message: `the image's service (${state}) wrote ${lines.length === 0 ? "nothing" : `${lines.length} line(s)`}${lines.length === 0 ? "" : ":"}`,
  });
  for (const line of lines) reporter.emit({ type: "output", stream: "stdout", line, check: ctx.index });
}

async function hostEntry(hostPath: string): Promise<{ hostPath: string; stats: Stats } | undefined> {
  const stats = await stat(hostPath).catch(() => undefined);
  return stats ? { hostPath, stats } : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
