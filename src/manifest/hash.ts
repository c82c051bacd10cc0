import * as crypto from "node:crypto";
import { canonicalJson } from "../util/canonical-json.js";

// The one-shot crypto.hash (Node 20.12 and later) hashes a short line several times faster than a Hash object,
// which matters when a chain of 100k lines is verified.
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

/** `sha256:<hex>` of some bytes or text. */
export function digest(data: string | Uint8Array): string {
  return `sha256:${oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex")}`;
}

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
