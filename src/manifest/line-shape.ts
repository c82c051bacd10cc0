import * as generated from "./generated/line-shapes.js";
import { describeError, type Validator } from "./schema-errors.js";
import type { ManifestEntry } from "./types.js";

// Precompiled from the schema without its string-content rules (see the drift test in test/manifest/schema.test.ts).
const shapes = generated as unknown as Record<ManifestEntry["type"], Validator>;

/**
 * Why an entry read from a line does not have the shape of a record or an event (a field missing, unknown or of the
 * wrong type, as in `parent: must be object`), or undefined when it has. Every reader checks each line it indexes
 * with this, so the code that reads records and events can trust their types whatever a hand edit or a forged chain
 * put there. The rules on a string's content (patterns, lengths) are left out, which makes it several times cheaper
 * than the whole schema; `bake fsck` and writers apply the whole schema.
 */
export function shapeProblem(entry: { type: ManifestEntry["type"] }): string | undefined {
  const check = shapes[entry.type];
  if (check(entry)) return undefined;
  const error = check.errors?.find((found) => found.keyword !== "if");
  return error ? describeError(error) : "does not have the shape of a record or an event";
}
