import { digest } from "../util/digest.js";

/**
 * A layer's cache key: `H(parent key, layer inputs digest)`. The first layer's parent key is the resolved
 * parent image id; each later layer chains on the key before it, so a change anywhere below invalidates above.
 */
export function layerCacheKey(parentKey: string, inputsDigest: string): string {
  return digest(`${parentKey}\n${inputsDigest}`);
}

/** The cache keys of every layer of a plan, in order, given the resolved parent id. */
export function layerCacheKeys(resolvedParentId: string, inputsDigests: readonly string[]): string[] {
  const keys: string[] = [];
  let previous = resolvedParentId;
  for (const digest of inputsDigests) {
    previous = layerCacheKey(previous, digest);
    keys.push(previous);
  }
  return keys;
}
