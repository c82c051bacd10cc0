import type { DriverContext, FleetPrimitives } from "../drivers/driver.js";
import { labelValue } from "../drivers/gce/labels.js";
import { TEMPLATE_LABEL } from "./labels.js";

/** What retention did with a lineage's templates. */
export interface RetireReport {
  /** The newest `keep` templates bake made for the lineage. */
  kept: string[];
  deleted: string[];
  /** Older templates still used by a group (its target or an instance): never deleted. */
  inUse: string[];
  failed: { template: string; error: string }[];
}

/**
 * Applies the lineage's `retain.keep` to the instance templates bake made for it (those labelled with the
 * lineage): the newest `keep` stay, older ones are deleted unless a group still uses them. Templates bake did not
 * make are never touched.
 */
export async function retireTemplates(input: {
  fleet: FleetPrimitives;
  ctx: DriverContext;
  lineage: string;
  keep: number;
}): Promise<RetireReport> {
  const { fleet, ctx } = input;
  const ours = (await fleet.templates(ctx))
    .filter((template) => template.labels[TEMPLATE_LABEL.lineage] === labelValue(input.lineage))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.name.localeCompare(a.name));
  const keep = Math.max(1, input.keep);
  const report: RetireReport = { kept: [], deleted: [], inUse: [], failed: [] };
  report.kept = ours.slice(0, keep).map((template) => template.name);
  const older = ours.slice(keep);
  if (older.length === 0) return report;
  const used = new Set<string>();
  for (const group of await fleet.groups(ctx)) {
    used.add(group.template);
    for (const member of group.members) used.add(member.template);
  }
  for (const template of older) {
    if (used.has(template.name)) {
      report.inUse.push(template.name);
      continue;
    }
    try {
      await fleet.deleteTemplate(template.name, ctx);
      report.deleted.push(template.name);
    } catch (error) {
      // The platform refuses to delete a template in use; whatever it says, the template stays.
      report.failed.push({
        template: template.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return report;
}
