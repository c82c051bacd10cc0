import { join, posix } from "node:path";
import { revealEnv, revealPlanString, type SecretValues } from "../../plan/secrets.js";
import type { PlannedCheck, PlannedCopyStep, PlannedLayer } from "../../plan/types.js";
import { readlink } from "../../util/fs-async.js";
import { readPlannedFile } from "../planned-file.js";
import type { GuestCheck, GuestEntry, GuestStep } from "./startup-script.js";

/**
 * Turns a planned layer into what the guest runs: secrets revealed, and every copied file read from the recipe
 * root and checked against the digest the plan recorded (a file that changed since planning is refused).
 */
export async function guestSteps(
  layer: PlannedLayer,
  options: { root: string; secrets: SecretValues },
): Promise<GuestStep[]> {
  const steps: GuestStep[] = [];
  for (const step of layer.steps) {
    if (step.kind === "run") {
      steps.push({
        kind: "run",
        env: revealEnv(step.env, options.secrets),
        ...pick(step, ["script", "argv", "workdir", "user", "timeoutMs"]),
      });
    } else if (step.kind === "file") {
      const content = Buffer.from(revealPlanString(step.content, options.secrets), "utf8");
      steps.push({
        kind: "write",
        entries: [{ type: "file", path: step.path, content, ...pick(step, ["mode", "owner"]) }],
      });
    } else {
      steps.push({ kind: "write", entries: await copyEntries(step, options.root) });
    }
  }
  return steps;
}

/** Verify checks as the guest runs them, secrets revealed. */
export function guestChecks(checks: PlannedCheck[], secrets: SecretValues): GuestCheck[] {
  return checks.map((check): GuestCheck => {
    const timing = { retries: check.retries, intervalMs: check.intervalMs, timeoutMs: check.timeoutMs };
    if (check.kind === "run") {
      return {
        kind: "run",
        env: revealEnv(check.env, secrets),
        ...pick(check, ["script", "argv", "workdir", "user"]),
        ...timing,
      };
    }
    if (check.kind === "file") {
      return {
        kind: "file",
        path: check.path,
        exists: check.exists,
        ...pick(check, ["contains", "mode"]),
        ...timing,
      };
    }
    return {
      kind: "http",
      url: check.url,
      status: check.status,
      ...pick(check, ["bodyContains"]),
      ...timing,
    };
  });
}

async function copyEntries(step: PlannedCopyStep, root: string): Promise<GuestEntry[]> {
  const source = join(root, step.from);
  const single = step.entries.length === 1 && step.entries[0]?.path === "";
  const destination = (path: string): string => {
    if (!single) return posix.join(step.to, path);
    return step.to.endsWith("/") ? posix.join(step.to, posix.basename(step.from)) : step.to;
  };
  const owner = step.owner === undefined ? {} : { owner: step.owner };
  const entries: GuestEntry[] = [];
  if (!single) entries.push({ type: "dir", path: step.to, ...owner });
  for (const entry of step.entries) {
    const path = destination(entry.path);
    const from = entry.path === "" ? source : join(source, entry.path);
    if (entry.type === "dir") entries.push({ type: "dir", path, mode: entry.mode, ...owner });
    else if (entry.type === "symlink")
      entries.push({ type: "symlink", path, target: entry.target ?? (await readlink(from)), ...owner });
    else {
      const { content } = await readPlannedFile(from, {
        ...(entry.digest === undefined ? {} : { digest: entry.digest }),
        hint: "run the build again so the plan and the files agree",
      });
      entries.push({ type: "file", path, content, mode: step.mode ?? entry.mode, ...owner });
    }
  }
  return entries;
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
