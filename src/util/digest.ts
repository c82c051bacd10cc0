import * as crypto from "node:crypto";

// The one-shot crypto.hash (Node 20.12 and later) hashes a short text several times faster than a Hash object,
// which matters when a chain of 100k lines is verified or a thousand recipes' layers are digested.
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

/** `sha256:<hex>` of some bytes or text. */
export function digest(data: string | Uint8Array): string {
  return `sha256:${oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex")}`;
}
