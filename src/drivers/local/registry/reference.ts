import { BakeError } from "../../../errors.js";

/** A `docker://` base reference, split into what skopeo is asked for. */
export interface RegistryReference {
  /** As written in the recipe: `docker://REGISTRY/REPO:TAG` or `docker://REGISTRY/REPO@sha256:HEX`. */
  ref: string;
  /** `REGISTRY/REPO` without tag or digest, as written (skopeo applies registries.conf to it). */
  name: string;
  /** The tag, when the reference has one and no digest. */
  tag?: string;
  /** The digest the reference pins, if it does. */
  digest?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses the part after `docker://`. A reference with neither tag nor digest means `:latest`, as skopeo reads it. */
export function parseRegistryReference(ref: string, location: string): RegistryReference {
  const at = location.indexOf("@");
  if (at >= 0) {
    const digest = location.slice(at + 1);
    if (!DIGEST.test(digest)) {
      throw new BakeError({
        code: "parent-invalid",
        message: `from: "${ref}" pins "${digest}", which is not a sha256 digest`,
        hint: "write docker://REGISTRY/REPO@sha256:<64 hex digits>, or a tag: docker://REGISTRY/REPO:TAG",
      });
    }
    return { ref, name: withoutTag(location.slice(0, at)), digest };
  }
  const tagged = withoutTag(location);
  const tag = tagged === location ? "latest" : location.slice(tagged.length + 1);
  if (tagged === "" || !/^[\w][\w.-]{0,127}$/.test(tag)) {
    throw new BakeError({
      code: "parent-invalid",
      message: `from: "${ref}" is not a valid registry reference`,
      hint: "write docker://REGISTRY/REPO:TAG or docker://REGISTRY/REPO@sha256:DIGEST",
    });
  }
  return { ref, name: tagged, tag };
}

// A colon after the last slash starts a tag; one before it is a registry's port.
function withoutTag(name: string): string {
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
}

/** The skopeo reference for what `reference` names now (its tag, or its digest). */
export function asWritten(reference: RegistryReference): string {
  return reference.digest
    ? `docker://${reference.name}@${reference.digest}`
    : `docker://${reference.name}:${reference.tag}`;
}

/** The skopeo reference for one exact manifest of the repository. */
export function byDigest(reference: RegistryReference, digest: string): string {
  return `docker://${reference.name}@${digest}`;
}
