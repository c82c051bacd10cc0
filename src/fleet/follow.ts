import { setTimeout as sleep } from "node:timers/promises";
import type {
  DriverContext,
  FleetPrimitives,
  GroupMember,
  GroupRef,
  GroupStatus,
} from "../drivers/driver.js";
import { InterruptedError, isBakeError } from "../errors.js";
import type { PlannedRolloutCheck } from "../plan/types.js";
import { InstanceChecks } from "./checks.js";

/** Where a group stands while bake follows it, for progress. */
export interface GroupProgress {
  phase: "rollout" | "rollback";
  group: string;
  template: string;
  /** Instances on the template that have been healthy for the min-ready time. */
  replaced: number;
  total: number;
  /** Instances that exist now (the target size plus any surge). */
  instances: number;
  healthy: number;
  /** Instances on the template that passed every rollout check; present when the recipe names checks. */
  checked?: number;
}

/** How following ended: the group reached the template, or why it did not. */
export type FollowResult =
  | { ok: true; status: GroupStatus }
  | { ok: false; reason: string; status?: GroupStatus };

/** Consecutive polls an instance of the new template may be UNHEALTHY before the rollout fails. */
const UNHEALTHY_POLLS = 3;

/**
 * Polls a group until it is stable, every instance runs `template`, and each has been healthy for `minReadyMs`.
 * In `strict` mode (the rollout itself) an instance of the template that stays unhealthy, or that the platform
 * could not create, ends it at once; the rollback phase only waits. With rollout `checks` (strict mode only), an
 * instance counts as replaced only once it passed them all, and a check that keeps failing ends it too. Throws
 * `InterruptedError` on abort.
 */
export async function followGroup(input: {
  fleet: FleetPrimitives;
  ctx: DriverContext;
  group: GroupRef;
  template: string;
  phase: GroupProgress["phase"];
  deadline: number;
  pollMs: number;
  minReadyMs: number;
  strict: boolean;
  /** The recipe's rollout checks, sent to each healthy instance of the template (strict mode only). */
  checks?: readonly PlannedRolloutCheck[];
  onProgress: (progress: GroupProgress) => void;
  /** Told of each failed attempt of a rollout check. */
  onNote?: (message: string) => void;
  now?: () => number;
}): Promise<FollowResult> {
  const now = input.now ?? Date.now;
  const checks =
    input.strict && input.checks && input.checks.length > 0
      ? new InstanceChecks({ checks: input.checks, signal: input.ctx.signal })
      : undefined;
  const healthySince = new Map<string, number>();
  const unhealthy = new Map<string, number>();
  let status: GroupStatus | undefined;
  let last = "";
  for (;;) {
    if (input.ctx.signal.aborted) throw new InterruptedError();
    try {
      status = await input.fleet.group(input.group, input.ctx);
    } catch (error) {
      if (error instanceof InterruptedError || input.ctx.signal.aborted) throw new InterruptedError();
      if (!isBakeError(error)) throw error;
      return { ok: false, reason: error.message, ...(status ? { status } : {}) };
    }
    const at = now();
    const current = status.members.filter((m) => m.template === input.template);
    for (const member of status.members) {
      if (member.template === input.template && isHealthy(member, status)) {
        if (!healthySince.has(member.server)) healthySince.set(member.server, at);
      } else healthySince.delete(member.server);
    }
    let checkFailed: string | undefined;
    if (checks) {
      const healthy = current.filter((m) => healthySince.has(m.server));
      checkFailed = await checks.run(healthy, {
        now: at,
        onFailure: (f) =>
          input.onNote?.(
            `rollout check "${f.check}" on ${f.server}: GET ${f.url} ${f.detail} (${f.failures} of ${f.limit} failures in a row)`,
          ),
      });
      if (input.ctx.signal.aborted) throw new InterruptedError();
    }
    const ready = current.filter(
      (m) =>
        at - (healthySince.get(m.server) ?? at + 1) >= input.minReadyMs && (checks?.passed(m.server) ?? true),
    );
    const progress: GroupProgress = {
      phase: input.phase,
      group: input.group.name,
      template: input.template,
      replaced: ready.length,
      total: status.targetSize,
      instances: status.members.length,
      healthy: status.members.filter((m) => isHealthy(m, status as GroupStatus)).length,
      ...(checks ? { checked: current.filter((m) => checks.passed(m.server)).length } : {}),
    };
    const key = JSON.stringify(progress);
    if (key !== last) input.onProgress(progress);
    last = key;
    if (input.strict) {
      const failed = failure(current, status, unhealthy) ?? checkFailed;
      if (failed) return { ok: false, reason: failed, status };
    }
    const done =
      status.template === input.template &&
      status.isStable &&
      status.versionReached &&
      status.members.length === status.targetSize &&
      ready.length === status.targetSize;
    if (done) return { ok: true, status };
    if (at >= input.deadline) {
      return {
        ok: false,
        reason: `timed out: ${ready.length} of ${status.targetSize} instances of ${input.group.name} were on ${input.template} and healthy`,
        status,
      };
    }
    await sleep(input.pollMs, undefined, { signal: input.ctx.signal }).catch(() => undefined);
  }
}

/** Healthy by the group's health check; a group without one counts a running instance with no pending action. */
export function isHealthy(member: GroupMember, status: GroupStatus): boolean {
  if (member.action === "DELETING") return false;
  if (status.healthCheck) return member.health === "HEALTHY";
  return member.status === "RUNNING" && member.action === "NONE";
}

// Why the new template's instances fail: one the platform cannot create, or one that stays unhealthy.
function failure(
  current: GroupMember[],
  status: GroupStatus,
  unhealthy: Map<string, number>,
): string | undefined {
  for (const member of current) {
    if (member.errors && member.errors.length > 0) {
      return `Compute Engine could not create instance ${member.server} of ${member.template}: ${member.errors.join("; ")}`;
    }
  }
  for (const member of current) {
    const bad = member.health === "UNHEALTHY" || member.health === "TIMEOUT";
    const count = bad ? (unhealthy.get(member.server) ?? 0) + 1 : 0;
    unhealthy.set(member.server, count);
    if (count >= UNHEALTHY_POLLS) {
      return `instance ${member.server} of ${member.template} is ${member.health} by the group's health check ${status.healthCheck ?? ""}`.trimEnd();
    }
  }
  return undefined;
}
