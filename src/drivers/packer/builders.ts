/** What bake knows about a Packer builder type. */
export interface BuilderProfile {
  /** The source option that carries the parent image. */
  parentField: string;
  /** Source options that make a build keep its image (merged under the recipe's own). */
  keep: Record<string, unknown>;
  /** Source options that make a build keep nothing, for verification on a throwaway instance. */
  discard: Record<string, unknown>;
  /** Source options of the recipe left out of the verification build, because they would keep an image. */
  discardConflicts: string[];
}

// The builders bake knows by type; any other builder works when the recipe names its `parentField`.
const PROFILES: Record<string, BuilderProfile> = {
  docker: {
    parentField: "image",
    keep: { commit: true, pull: false },
    discard: { discard: true, pull: false },
    discardConflicts: ["commit", "discard", "export_path", "changes"],
  },
  googlecompute: {
    parentField: "source_image",
    keep: {},
    discard: { skip_create_image: true },
    discardConflicts: [],
  },
  "amazon-ebs": {
    parentField: "source_ami",
    keep: {},
    discard: { skip_create_ami: true },
    discardConflicts: [],
  },
  qemu: {
    parentField: "iso_url",
    keep: { disk_image: true },
    discard: { disk_image: true, skip_compaction: true },
    discardConflicts: [],
  },
};

/** The builder types bake fills the parent field of without help. */
export const KNOWN_BUILDERS = Object.keys(PROFILES);

/** The profile of a builder, with `parentField` taken from the recipe for builders bake does not know. */
export function builderProfile(builder: string, parentField?: string): BuilderProfile | undefined {
  const known = PROFILES[builder];
  if (known) return parentField ? { ...known, parentField } : known;
  return parentField ? { parentField, keep: {}, discard: {}, discardConflicts: [] } : undefined;
}
