import { randomBytes } from "node:crypto";

/**
 * A short id unique to one run, `bake-<base36 time>-<6 hex>`. Drivers put it on everything they create, so
 * `bake gc` can tell what a killed run left behind.
 */
export function newRunId(now: Date = new Date()): string {
  return `bake-${now.getTime().toString(36)}-${randomBytes(3).toString("hex")}`;
}
