import { BakeError } from "../../../errors.js";

/** A push destination, split: `docker://HOST[:PORT]/REPO:TAG`. */
export interface Destination {
  /** As given. */
  ref: string;
  /** The registry host (with its port): the key of an auth file's `auths`. */
  host: string;
  /** `HOST/REPO` without the tag. */
  name: string;
  tag: string;
}

// A first path component with a dot or a colon (or `localhost`) is a registry host, as docker and skopeo read it.
const HOST = /^(?:localhost|[^/]*[.:][^/]*)$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * Reads a push destination. Only `docker://` with an explicit tag is taken: a push without a tag would move
 * `latest` behind the user's back, and one by digest names no tag for others to pull.
 */
export function parseDestination(ref: string): Destination {
  const bad = (why: string) =>
    new BakeError({
      code: "push-destination",
      message: `"${ref}" is not a push destination: ${why}`,
      hint: "write docker://REGISTRY/REPO:TAG, such as docker://registry.example.com:5000/team/web:2.4.0",
    });
  if (!ref.startsWith("docker://")) throw bad("bake pushes to registries only (docker://)");
  const location = ref.slice("docker://".length);
  if (/[\s@]/.test(location))
    throw bad("it holds a space or an @ (no credentials or digests in a destination)");
  const slash = location.indexOf("/");
  const first = slash === -1 ? "" : location.slice(0, slash);
  const host = HOST.test(first) ? first : "docker.io";
  const rest = HOST.test(first) ? location.slice(slash + 1) : location;
  const colon = rest.lastIndexOf(":");
  if (colon === -1) throw bad("it has no tag");
  const repo = rest.slice(0, colon);
  const tag = rest.slice(colon + 1);
  if (!NAME.test(repo)) throw bad(`"${repo}" is not a repository name (lowercase, digits, . _ - and /)`);
  if (!TAG.test(tag)) throw bad(`"${tag}" is not a tag`);
  return { ref, host, name: `${host}/${repo}`, tag };
}
