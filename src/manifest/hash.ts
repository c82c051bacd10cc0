import { canonicalJson } from "../util/canonical-json.js";
import { digest } from "../util/digest.js";

/** The id a stored line must carry: the digest of the canonical JSON of every field but `id`. */
export function entryId(entry: object): string {
  const { id: _id, ...body } = entry as Record<string, unknown>;
  return digest(canonicalJson(body));
}

/** The exact text of a line (without its newline) for a body: canonical JSON with the id added. */
export function serializeEntry<T extends object>(body: T): { id: string; text: string } {
  const id = entryId(body);
  return { id, text: canonicalJson({ ...body, id }) };
}

/** The 12 hex digits people see, like git and docker show. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}
