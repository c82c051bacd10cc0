import type { GroupSummary } from "../fleet/groups.js";
import { describeRecord } from "../manifest/describe.js";
import { shortId } from "../manifest/hash.js";
import type { ImageRecord } from "../manifest/types.js";
import { printable } from "../util/printable.js";
import type { Style } from "../util/style.js";

const SHOWN_STRAGGLERS = 10;

function label(record: ImageRecord | undefined, image: string): string {
  return record
    ? `${describeRecord(record)} ${printable(record.version)} (${shortId(record.id)})`
    : `${printable(image) || "(no image yet)"} (unknown to the manifest)`;
}

/** The groups part of `bake fleet`: per group, instances per record, a rollout under way, the stragglers. */
export function renderGroups(groups: readonly GroupSummary[], style: Style): string {
  const out: string[] = [];
  for (const group of groups) {
    const { status } = group;
    const where = status.region ?? status.zone ?? "";
    const state = group.inProgress
      ? style.yellow(`rollout in progress to ${printable(status.template)}`)
      : group.stragglers.length > 0
        ? style.yellow("stable, with stragglers")
        : style.green("stable");
    out.push(
      `group ${style.bold(printable(status.name))} (${where}): ${group.onTarget}/${status.targetSize} on ${label(group.target, status.template)}, ${state}`,
    );
    for (const share of group.shares) {
      out.push(
        `  ${label(share.record, share.image)}: ${share.instances} instance${share.instances === 1 ? "" : "s"}`,
      );
    }
    if (group.stragglers.length > 0) {
      const names = group.stragglers
        .slice(0, SHOWN_STRAGGLERS)
        .map(
          (s) =>
            `${printable(s.server)} (${s.why === "old-template" ? `on ${printable(s.template)}` : s.why})`,
        );
      const more = group.stragglers.length - SHOWN_STRAGGLERS;
      out.push(`  stragglers: ${names.join(", ")}${more > 0 ? `, and ${more} more` : ""}`);
    }
    const last = group.lastRollout?.rollout;
    if (last) {
      out.push(
        `  last rollout: ${last.fromTemplate} -> ${last.toTemplate} ${last.result} at ${last.endedAt}${last.reason ? ` (${printable(last.reason)})` : ""}`,
      );
    }
  }
  return out.length > 0 ? `${out.join("\n")}\n` : "";
}

/** The groups part of `bake fleet --json`. */
export function groupsJson(groups: readonly GroupSummary[]): unknown[] {
  return groups.map((group) => ({
    group: group.status.name,
    zone: group.status.zone ?? null,
    region: group.status.region ?? null,
    template: group.status.template,
    targetSize: group.status.targetSize,
    record: group.target?.id ?? null,
    onTarget: group.onTarget,
    inProgress: group.inProgress,
    records: group.shares.map((share) => ({
      record: share.record?.id ?? null,
      lineage: share.record?.lineage ?? null,
      version: share.record?.version ?? null,
      build: share.record?.build ?? null,
      image: share.image,
      instances: share.instances,
    })),
    stragglers: group.stragglers.map((s) => ({
      server: s.server,
      template: s.template,
      record: s.record?.id ?? null,
      why: s.why,
    })),
    lastRollout: group.lastRollout ? { event: group.lastRollout.id, ...group.lastRollout.rollout } : null,
  }));
}
