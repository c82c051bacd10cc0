import type { ImageRecord, ParentLink } from "./types.js";

/** A field that differs between two records. */
export interface FieldChange {
  field: string;
  a?: string;
  b?: string;
}

/**
 * How one layer compares: `same`; `rebuilt` (same inputs, but something below changed, so its cache key did);
 * `changed` (its own inputs changed); `added` or `removed`.
 */
export interface LayerChange {
  name: string;
  change: "same" | "rebuilt" | "changed" | "added" | "removed";
  a?: { inputsDigest: string; cacheKey: string; record: string };
  b?: { inputsDigest: string; cacheKey: string; record: string };
}

/** Everything that differs between two records. */
export interface RecordDiff {
  a: string;
  b: string;
  identical: boolean;
  fields: FieldChange[];
  layers: LayerChange[];
  labels: FieldChange[];
}

/** Compares two records field by field, layer by layer (by name) and label by label. */
export function diffRecords(a: ImageRecord, b: ImageRecord): RecordDiff {
  const fields: FieldChange[] = [];
  const compare = (field: string, left: string | undefined, right: string | undefined) => {
    if (left !== right)
      fields.push({
        field,
        ...(left !== undefined ? { a: left } : {}),
        ...(right !== undefined ? { b: right } : {}),
      });
  };
  compare("kind", a.kind, b.kind);
  compare("lineage", a.lineage, b.lineage);
  compare("version", a.version, b.version);
  compare("build", a.build?.toString(), b.build?.toString());
  compare("parent", parentKey(a.parent), parentKey(b.parent));
  compare("driver", a.driver, b.driver);
  compare("artifact", a.artifact, b.artifact);
  compare("recipeDigest", a.recipeDigest, b.recipeDigest);
  compare("verify", verifyText(a), verifyText(b));
  const layers = diffLayers(layersOf(a), layersOf(b));
  const labels: FieldChange[] = [];
  const keys = new Set([...Object.keys(a.labels ?? {}), ...Object.keys(b.labels ?? {})]);
  for (const key of [...keys].sort()) {
    const left = a.labels?.[key];
    const right = b.labels?.[key];
    if (left !== right)
      labels.push({
        field: key,
        ...(left !== undefined ? { a: left } : {}),
        ...(right !== undefined ? { b: right } : {}),
      });
  }
  const identical = a.id === b.id;
  return { a: a.id, b: b.id, identical, fields, layers, labels };
}

function parentKey(parent: ParentLink): string {
  return "record" in parent ? parent.record : `${parent.external.ref} = ${parent.external.id}`;
}

function verifyText(record: ImageRecord): string | undefined {
  if (!record.verify) return undefined;
  const passed = record.verify.checks.filter((check) => check.ok).length;
  return `${record.verify.ok ? "passed" : "failed"} (${passed}/${record.verify.checks.length} checks)`;
}

function layersOf(record: ImageRecord) {
  if (record.layers)
    return record.layers.map((l) => ({
      name: l.name,
      inputsDigest: l.inputsDigest,
      cacheKey: l.cacheKey,
      record: l.record,
    }));
  return record.layer ? [{ ...record.layer, record: record.id }] : [];
}

function diffLayers(left: ReturnType<typeof layersOf>, right: ReturnType<typeof layersOf>): LayerChange[] {
  const changes: LayerChange[] = [];
  const rightByName = new Map(right.map((layer) => [layer.name, layer]));
  const leftNames = new Set(left.map((layer) => layer.name));
  for (const a of left) {
    const b = rightByName.get(a.name);
    if (!b) {
      changes.push({ name: a.name, change: "removed", a });
      continue;
    }
    const change =
      a.inputsDigest !== b.inputsDigest ? "changed" : a.cacheKey !== b.cacheKey ? "rebuilt" : "same";
    changes.push({ name: a.name, change, a, b });
  }
  for (const b of right) if (!leftNames.has(b.name)) changes.push({ name: b.name, change: "added", b });
  return changes;
}
