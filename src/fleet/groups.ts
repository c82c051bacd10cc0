import type { GroupStatus, TemplateInfo } from "../drivers/driver.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord, ManifestEvent } from "../manifest/types.js";
import { isHealthy } from "./follow.js";
import { recordForArtifact, recordForImagePath } from "./records.js";

/** How many instances of a group run one record (or one image the manifest does not know). */
export interface GroupShare {
  record?: ImageRecord;
  /** The exact image, when no record matches it. */
  image: string;
  instances: number;
}

/** An instance of a group that is not (yet) where the group is going. */
export interface Straggler {
  server: string;
  template: string;
  record?: ImageRecord;
  /** Why it straggles: another template, or failing its health check. */
  why: "old-template" | "unhealthy" | "creating";
}

/** A group as `bake fleet` shows it: which records its instances run, and whether a rollout is under way. */
export interface GroupSummary {
  status: GroupStatus;
  /** The record of the target template's image, when the manifest knows it. */
  target?: ImageRecord;
  /** Instances on the target template, healthy. */
  onTarget: number;
  inProgress: boolean;
  shares: GroupShare[];
  stragglers: Straggler[];
  /** The newest `rollout` event recorded for the group. */
  lastRollout?: Extract<ManifestEvent, { event: "rollout" }>;
}

/** Maps each group's instances to records through the manifest. Pure over its inputs. */
export function summarizeGroups(
  manifest: Manifest,
  groups: readonly GroupStatus[],
  templates: readonly TemplateInfo[],
): GroupSummary[] {
  const rollouts = manifest
    .events()
    .filter((e): e is Extract<ManifestEvent, { event: "rollout" }> => e.event === "rollout");
  return groups.map((status) => {
    const template = templates.find((t) => t.name === status.template);
    const onTemplate = status.members.find((m) => m.template === status.template && m.image);
    const target = onTemplate
      ? recordForArtifact(manifest, onTemplate.image)
      : template
        ? recordForImagePath(manifest, template.image)
        : undefined;
    const shares = new Map<string, GroupShare>();
    for (const member of status.members) {
      const record = recordForArtifact(manifest, member.image);
      const key = record?.id ?? member.image;
      const share = shares.get(key) ?? { ...(record ? { record } : {}), image: member.image, instances: 0 };
      share.instances += 1;
      shares.set(key, share);
    }
    const stragglers: Straggler[] = [];
    for (const member of status.members) {
      const why =
        member.template !== status.template
          ? "old-template"
          : member.action === "CREATING"
            ? "creating"
            : !isHealthy(member, status)
              ? "unhealthy"
              : undefined;
      if (!why) continue;
      const record = recordForArtifact(manifest, member.image);
      stragglers.push({
        server: member.server,
        template: member.template,
        ...(record ? { record } : {}),
        why,
      });
    }
    const where = (e: Extract<ManifestEvent, { event: "rollout" }>) =>
      e.rollout.group === status.name &&
      (status.region ? e.rollout.region === status.region : e.rollout.zone === status.zone);
    const lastRollout = rollouts.filter(where).at(-1);
    return {
      status,
      ...(target ? { target } : {}),
      onTarget: status.members.filter((m) => m.template === status.template && isHealthy(m, status)).length,
      inProgress: !status.isStable || !status.versionReached,
      shares: [...shares.values()].sort((a, b) => b.instances - a.instances),
      stragglers,
      ...(lastRollout ? { lastRollout } : {}),
    };
  });
}
