/** Label keys bake puts on every Compute Engine resource it creates. */
export const LABEL = {
  run: "bake-run",
  lineage: "bake-lineage",
  version: "bake-version",
  layer: "bake-layer",
  parent: "bake-parent",
  role: "bake-role",
  revoked: "bake-revoked",
} as const;

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** Whether a label key is one Compute Engine accepts. */
export function isLabelKey(key: string): boolean {
  return LABEL_KEY.test(key);
}

/** Whether a label value is one Compute Engine accepts. */
export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/** Lowercases and replaces what labels cannot hold, so `2.4.0` becomes `2-4-0`. */
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .slice(0, 63);
}

/** A resource name (`[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters) built from parts. */
export function resourceName(parts: string[]): string {
  const joined = parts
    .map((part) => part.toLowerCase().replace(/[^a-z0-9-]/g, "-"))
    .join("-")
    .replace(/-+/g, "-");
  const trimmed = joined.slice(0, 63).replace(/-+$/, "");
  return /^[a-z]/.test(trimmed) ? trimmed : `b${trimmed}`.slice(0, 63).replace(/-+$/, "");
}
