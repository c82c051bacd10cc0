import type { Stats } from "node:fs";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { BakeError } from "../../errors.js";
import { revealEnv } from "../../plan/secrets.js";
import type { CheckResult, PlannedCheck } from "../../plan/types.js";
import type { VerifyInput, VerifyResult } from "../driver.js";
import { hostBinds } from "./host-base.js";
import { bindOver, type ImageView, lookupImagePath } from "./image-fs.js";
import { removeTree } from "./remove.js";
import { runInSandbox, type SandboxBind } from "./sandbox.js";
import type { Store } from "./store.js";

interface CheckContext {
  lowers: string[];
  binds: SandboxBind[];
  scratch: string;
  network: "host" | "none";
  input: VerifyInput;
  index: number;
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
  const lowers = await store.unpackedLayers(image);
  const runDir = await store.runDir(input.runId);
  const scratch = await mkdtemp(join(runDir, "verify-"));
  reporter.emit({
    type: "verify-started",
    image: input.image.id,
    checks: input.checks.map((check) => check.name),
  });
  const results: CheckResult[] = [];
  try {
    for (const [index, check] of input.checks.entries()) {
      const ctx: CheckContext = {
        lowers,
        binds: hostBinds(image),
        scratch,
        network: input.network,
        input,
        index,
      };
      results.push(await runCheck(check, ctx));
    }
  } finally {
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
  let outcome: { ok: boolean; message?: string } = { ok: false };
  while (attempts <= check.retries) {
    signal.throwIfAborted();
    attempts += 1;
    outcome = await attempt(check, ctx);
    reporter.emit({ type: "check-attempt", check: ctx.index, attempt: attempts, ...outcome });
    if (outcome.ok || attempts > check.retries) break;
    await sleep(check.intervalMs, signal);
  }
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

async function attempt(check: PlannedCheck, ctx: CheckContext): Promise<{ ok: boolean; message?: string }> {
  if (check.kind === "file") return fileCheck(check, { dirs: ctx.lowers, binds: ctx.binds });
  if (check.kind === "http") return httpCheck(check, ctx);
  const argv = check.script !== undefined ? ["/bin/sh", "-c", check.script] : (check.argv ?? []);
  try {
    const { exitCode } = await runInSandbox({
      lowerDirs: ctx.lowers,
      scratchDir: ctx.scratch,
      argv,
      env: revealEnv(check.env, ctx.input.secrets),
      network: ctx.network,
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

async function httpCheck(
  check: Extract<PlannedCheck, { kind: "http" }>,
  ctx: CheckContext,
): Promise<{ ok: boolean; message?: string }> {
  if (ctx.network === "none") {
    return { ok: false, message: "http checks need network: host (this target has network: none)" };
  }
  try {
    const response = await fetch(check.url, {
      signal: AbortSignal.any([ctx.input.signal, AbortSignal.timeout(check.timeoutMs)]),
      redirect: "manual",
    });
    const body = check.bodyContains === undefined ? "" : await response.text();
    if (response.status !== check.status) {
      return { ok: false, message: `GET ${check.url} returned ${response.status}, expected ${check.status}` };
    }
    if (check.bodyContains !== undefined && !body.includes(check.bodyContains)) {
      return { ok: false, message: `GET ${check.url}: the body does not contain the expected text` };
    }
    return { ok: true };
  } catch (error) {
    if (ctx.input.signal.aborted) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      message: `GET ${check.url} failed: ${cause ?? (error instanceof Error ? error.message : String(error))}`,
    };
  }
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
