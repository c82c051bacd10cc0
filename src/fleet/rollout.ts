import type {
  DriverContext,
  FleetPrimitives,
  GroupRef,
  GroupStatus,
  UpdatePolicy,
} from "../drivers/driver.js";
import { BakeError, InterruptedError, isBakeError } from "../errors.js";
import { describeWithId } from "../manifest/describe.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord, ManifestEvent, RolloutFacts, RolloutResult } from "../manifest/types.js";
import type { PlannedRolloutCheck } from "../plan/types.js";
import { followGroup, type GroupProgress } from "./follow.js";
import { templateLabels, templateName } from "./labels.js";
import { recordForArtifact } from "./records.js";

/** What a rollout reports as it goes. */
export type RolloutEvent =
  | { type: "rollout-planned"; group: string; fromTemplate: string; toTemplate: string; total: number }
  | { type: "rollout-note"; message: string }
  | ({ type: "rollout-progress" } & GroupProgress)
  | { type: "rollout-failed"; reason: string; rollback: boolean };

/** Everything a rollout needs: the platform, the manifest, the record and the group, and how to proceed. */
export interface RolloutInput {
  fleet: FleetPrimitives;
  ctx: DriverContext;
  manifest: Manifest;
  record: ImageRecord;
  group: GroupRef;
  policy: UpdatePolicy;
  /** How long each new instance must stay healthy before it counts as replaced. @default 0 */
  minReadyMs?: number;
  /** How long the update may take before bake gives up on it (the rollback gets as long again). */
  timeoutMs: number;
  /** How often the group is read. @default 2000 */
  pollMs?: number;
  /**
   * The recipe's rollout checks: each instance of the new template counts as ready only after all pass against
   * its internal address; one that keeps failing fails the rollout. @default []
   */
  checks?: readonly PlannedRolloutCheck[];
  /** Roll back to the previous template on failure. @default true */
  rollback?: boolean;
  /** Plan only: read the group, change nothing, record nothing. */
  dryRun?: boolean;
  onEvent?: (event: RolloutEvent) => void;
}

/** How a rollout ended. */
export interface RolloutOutcome {
  result: RolloutResult | "planned";
  reason?: string;
  group: GroupRef;
  fromTemplate: string;
  toTemplate: string;
  fromRecord?: string;
  toRecord: string;
  total: number;
  /** The `rollout` event recorded (none for a dry run). */
  event?: ManifestEvent;
  /** `observe` events recorded for the group's instances. */
  observed: number;
  /** Whether bake deleted the template it made, after rolling back. */
  templateDeleted?: boolean;
}

/**
 * Takes a managed group to a verified record: makes a template like the group's with the record's exact image,
 * starts a proactive rolling replacement, and follows it until every instance runs the new template and is healthy.
 * On an unhealthy instance, a creation error, a timeout or a failed call it rolls the group back to the template
 * it had (unless `rollback` is false) and waits for that too. Records a `rollout` event, and an `observe` event per
 * instance on its record. On abort (SIGINT) it records an `interrupted` rollout, leaves the group updating, and
 * throws `InterruptedError`.
 */
export async function rollout(input: RolloutInput): Promise<RolloutOutcome> {
  const { fleet, ctx, manifest, record } = input;
  const emit = input.onEvent ?? (() => {});
  checkRecord(manifest, record, emit);
  const before = await fleet.group(input.group, ctx);
  const toTemplate = templateName(record);
  const fromTemplate = before.template;
  if (fromTemplate === toTemplate && !before.versionReached) {
    emit({ type: "rollout-note", message: `${input.group.name} is already being updated to ${toTemplate}` });
  }
  const fromRecord = majorityRecord(manifest, before);
  const base = {
    group: input.group,
    fromTemplate,
    toTemplate,
    ...(fromRecord ? { fromRecord: fromRecord.id } : {}),
    toRecord: record.id,
    total: before.targetSize,
  };
  emit({
    type: "rollout-planned",
    group: input.group.name,
    fromTemplate,
    toTemplate,
    total: before.targetSize,
  });
  if (input.dryRun) return { ...base, result: "planned", observed: 0 };

  await fleet.createTemplate(
    { from: fromTemplate, name: toTemplate, image: record.artifact, labels: templateLabels(record) },
    ctx,
  );
  const startedAt = new Date().toISOString();
  const follow = (template: string, phase: GroupProgress["phase"], strict: boolean) =>
    followGroup({
      fleet,
      ctx,
      group: input.group,
      template,
      phase,
      strict,
      deadline: Date.now() + input.timeoutMs,
      pollMs: input.pollMs ?? 2000,
      minReadyMs: strict ? (input.minReadyMs ?? 0) : 0,
      ...(strict && input.checks ? { checks: input.checks } : {}),
      onProgress: (progress) => emit({ type: "rollout-progress", ...progress }),
      onNote: (message) => emit({ type: "rollout-note", message }),
    });
  const finish = async (result: RolloutResult, reason?: string) => {
    const facts: RolloutFacts = {
      group: input.group.name,
      ...(input.group.region
        ? { region: input.group.region }
        : { zone: input.group.zone ?? before.zone ?? "" }),
      fromTemplate,
      toTemplate,
      ...(fromRecord ? { fromRecord: fromRecord.id } : {}),
      result,
      ...(reason ? { reason } : {}),
      instances: before.targetSize,
      startedAt,
      endedAt: new Date().toISOString(),
    };
    return manifest.appendEvent({ event: "rollout", target: record.id, rollout: facts });
  };

  try {
    await fleet.startUpdate({ group: input.group, template: toTemplate, policy: input.policy }, ctx);
  } catch (error) {
    if (error instanceof InterruptedError || ctx.signal.aborted) {
      // The patch may have reached Compute Engine: record where bake stopped, as when following.
      await finish("interrupted", "interrupted while starting the update").catch(() => undefined);
      throw new InterruptedError();
    }
    if (!isBakeError(error)) throw error;
    // Refused (a policy Compute Engine rejects, say) or lost: if the group still targets its template, nothing
    // changed, and the template bake made would only be left behind.
    const now = await fleet.group(input.group, ctx).catch(() => undefined);
    if (now?.template === fromTemplate) {
      const templateDeleted = await deleteUnused(fleet, ctx, toTemplate, fromTemplate, emit);
      const event = await finish("failed", error.message);
      return { ...base, result: "failed", reason: error.message, event, observed: 0, templateDeleted };
    }
  }
  let reason: string;
  try {
    try {
      const followed = await follow(toTemplate, "rollout", true);
      if (followed.ok) {
        const event = await finish("succeeded");
        const observed = await observeMembers(manifest, followed.status);
        return { ...base, result: "succeeded", event, observed };
      }
      reason = followed.reason;
    } catch (error) {
      if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
      if (!isBakeError(error)) throw error;
      reason = error.message;
    }
  } catch (error) {
    if (!(error instanceof InterruptedError || ctx.signal.aborted)) throw error;
    // Stopped by SIGINT: the platform keeps updating; the manifest says where bake left it.
    await finish("interrupted", "interrupted while following the update; the group keeps updating").catch(
      () => undefined,
    );
    throw new InterruptedError();
  }

  const rollback = input.rollback ?? true;
  emit({ type: "rollout-failed", reason, rollback });
  if (!rollback) {
    const event = await finish("failed", reason);
    return { ...base, result: "failed", reason, event, observed: 0 };
  }
  try {
    await fleet.startUpdate({ group: input.group, template: fromTemplate, policy: input.policy }, ctx);
    const back = await follow(fromTemplate, "rollback", false);
    if (!back.ok) {
      const why = `${reason}; the rollback to ${fromTemplate} did not finish: ${back.reason}`;
      const event = await finish("failed", why);
      return { ...base, result: "failed", reason: why, event, observed: 0 };
    }
    const templateDeleted = await deleteUnused(fleet, ctx, toTemplate, fromTemplate, emit);
    const event = await finish("rolled-back", reason);
    const observed = await observeMembers(manifest, back.status);
    return { ...base, result: "rolled-back", reason, event, observed, templateDeleted };
  } catch (error) {
    if (error instanceof InterruptedError || ctx.signal.aborted) {
      await finish("interrupted", `${reason}; interrupted while rolling back to ${fromTemplate}`).catch(
        () => undefined,
      );
      throw new InterruptedError();
    }
    if (!isBakeError(error)) throw error;
    const why = `${reason}; the rollback to ${fromTemplate} failed: ${error.message}`;
    const event = await finish("failed", why);
    return { ...base, result: "failed", reason: why, event, observed: 0 };
  }
}

// A revoked image never reaches servers; a deprecated one may, with a warning.
function checkRecord(manifest: Manifest, record: ImageRecord, emit: (event: RolloutEvent) => void): void {
  if (record.kind !== "image") {
    throw new BakeError({
      code: "rollout-record",
      message: `${describeWithId(record)} is a layer record; roll out an image`,
    });
  }
  const status = manifest.status(record.id);
  if (status.status === "revoked") {
    throw new BakeError({
      code: "rollout-revoked",
      message: `${describeWithId(record)} is revoked (${status.reason ?? "no reason given"}); bake does not roll it out`,
      hint: "roll out an active image of the lineage (bake history shows them)",
    });
  }
  if (status.status === "deprecated") {
    emit({
      type: "rollout-note",
      message: `warning: ${describeWithId(record)} is deprecated (${status.reason ?? "no reason given"})`,
    });
  }
}

// The record most of the group's instances run, by their boot disks' exact images.
function majorityRecord(manifest: Manifest, status: GroupStatus): ImageRecord | undefined {
  const counts = new Map<string, { record: ImageRecord; count: number }>();
  for (const member of status.members) {
    const record = recordForArtifact(manifest, member.image);
    if (!record) continue;
    const entry = counts.get(record.id) ?? { record, count: 0 };
    entry.count += 1;
    counts.set(record.id, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count)[0]?.record;
}

/** Records an `observe` event for each instance of the group whose record changed since it was last seen. */
export async function observeMembers(manifest: Manifest, status: GroupStatus): Promise<number> {
  let count = 0;
  for (const member of status.members) {
    const record = recordForArtifact(manifest, member.image);
    if (!record || manifest.server(member.server)?.target === record.id) continue;
    await manifest.appendEvent({
      event: "observe",
      target: record.id,
      server: member.server,
      details: {
        driver: "gce",
        group: status.name,
        zone: member.zone,
        template: member.template,
        ...(member.address ? { address: member.address } : {}),
      },
    });
    count += 1;
  }
  return count;
}

// After a rollback the template bake made serves nothing; it goes, unless something uses it after all.
async function deleteUnused(
  fleet: FleetPrimitives,
  ctx: DriverContext,
  template: string,
  fromTemplate: string,
  emit: (event: RolloutEvent) => void,
): Promise<boolean> {
  if (template === fromTemplate) return false;
  try {
    const groups = await fleet.groups(ctx);
    const users = groups.filter(
      (g) => g.template === template || g.members.some((m) => m.template === template),
    );
    if (users.length > 0) return false;
    await fleet.deleteTemplate(template, ctx);
    return true;
  } catch (error) {
    emit({
      type: "rollout-note",
      message: `could not delete template ${template}: ${error instanceof Error ? error.message : String(error)}`,
    });
    return false;
  }
}
