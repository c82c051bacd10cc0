import { labelValue } from "../drivers/gce/labels.js";
import { shortId } from "../manifest/hash.js";
import type { ImageRecord } from "../manifest/types.js";

/** Labels bake puts on the instance templates it makes, so retention finds them and servers say what they run. */
export const TEMPLATE_LABEL = {
  lineage: "bake-lineage",
  version: "bake-version",
  record: "bake-record",
} as const;

/** The labels of a record's template: lineage, version and short record id. */
export function templateLabels(record: ImageRecord): Record<string, string> {
  return {
    [TEMPLATE_LABEL.lineage]: labelValue(record.lineage),
    [TEMPLATE_LABEL.version]: labelValue(record.version),
    [TEMPLATE_LABEL.record]: labelValue(shortId(record.id)),
  };
}

/**
 * The template name for a record rolled out from a group's template: the same record on the same source gives
 * the same name, so running a rollout again reuses its template.
 */
export function templateName(record: ImageRecord): string {
  const lineage = labelValue(record.lineage)
    .replace(/_/g, "-")
    .replace(/^[^a-z]+/, "");
  const tail = `-${record.build ?? 0}-${labelValue(shortId(record.id))}`;
  return `bake-${lineage.slice(0, 63 - 5 - tail.length)}${tail}`.replace(/-+/g, "-");
}
