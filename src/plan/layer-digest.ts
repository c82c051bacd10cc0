import type { ImageConfigSpec } from "../recipe/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import { digest } from "../util/digest.js";
import type { PlannedStep } from "./types.js";

// Bumped whenever what a digest covers changes, so old cache entries stop matching.
const DIGEST_DOMAIN = "bake/layer-inputs/v1\n";

/**
 * A layer's inputs digest: sha256 over the canonical JSON of its steps, with copy steps carrying the content
 * digest and mode of every copied entry. Titles (display only) and copy source paths (the content is what
 * counts) are left out. Secret templates are hashed as templates, never as values. The last layer also covers the
 * image config, when the recipe sets one (a layer without it digests exactly as before).
 */
export function layerInputsDigest(steps: readonly PlannedStep[], config?: ImageConfigSpec): string {
  const material = steps.map((step) => {
    const { title: _title, ...rest } = step;
    if (rest.kind !== "copy") return rest;
    const { from: _from, ...copy } = rest;
    return copy;
  });
  return digest(DIGEST_DOMAIN + canonicalJson(config === undefined ? material : { steps: material, config }));
}
