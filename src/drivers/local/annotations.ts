import type { BuildPlan } from "../../plan/types.js";
import type { BuildFacts } from "../driver.js";

/** The standard OCI annotation keys bake sets (image-spec `annotations.md`). */
export const OCI_ANNOTATIONS = {
  baseName: "org.opencontainers.image.base.name",
  baseDigest: "org.opencontainers.image.base.digest",
  version: "org.opencontainers.image.version",
  revision: "org.opencontainers.image.revision",
  created: "org.opencontainers.image.created",
  title: "org.opencontainers.image.title",
} as const;

/**
 * The standard annotations of an image bake makes, set both on its manifest and as config labels. `created` is the
 * build's clamped time (SOURCE_DATE_EPOCH), so reproducible builds stay byte-identical; `revision` is there only
 * when the runner knows the commit.
 */
export function standardAnnotations(input: {
  plan: BuildPlan;
  facts: BuildFacts;
  created: string;
}): Record<string, string> {
  const { plan, facts } = input;
  return {
    [OCI_ANNOTATIONS.baseName]: facts.baseRef,
    [OCI_ANNOTATIONS.baseDigest]: facts.baseId,
    [OCI_ANNOTATIONS.version]: plan.version,
    ...(facts.revision === undefined ? {} : { [OCI_ANNOTATIONS.revision]: facts.revision }),
    [OCI_ANNOTATIONS.created]: input.created,
    [OCI_ANNOTATIONS.title]: plan.lineage,
  };
}
