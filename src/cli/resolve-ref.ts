import { BakeError } from "../errors.js";
import { findByImageDigest } from "../manifest/image-digest.js";
import type { Manifest } from "../manifest/manifest.js";
import type { ImageRecord } from "../manifest/types.js";

const FULL_DIGEST = /^(?:sha256:)?([0-9a-f]{64})$/;
const ID_PREFIX = /^(?:sha256:)?[0-9a-f]{4,63}$/;
const LINEAGE_NAME = /^[a-z0-9][a-z0-9._-]*$/;
// REGISTRY/REPO@sha256:HEX or docker://...@sha256:HEX: an image as a registry, `docker pull` or a runtime names it.
const REGISTRY_DIGEST = /^(?:docker:\/\/([^\s@]+)|([^\s@/]+\/[^\s@]+))@(sha256:[0-9a-f]{64})$/;

/** The forms of a REF, in the order bake tries them; the hint of every "cannot resolve" error. */
export const REF_FORMS =
  "a REF is tried as, in order: a record id (sha256:..., as `bake history --json` prints it) or a unique prefix of " +
  "4+ hex digits, LINEAGE (its newest active image), LINEAGE@CHANNEL, LINEAGE@VERSION, LINEAGE#BUILD; then a full " +
  "sha256: digest, as a registry (after `bake push`) or a driver (the artifact a record names) gives it, also written " +
  "REGISTRY/REPO@sha256:... or docker://REGISTRY/REPO@sha256:...; see `bake history`";

/** What bake made of a REF: how it read the text, what it looked for, and the record if one matched. */
export interface RefLookup {
  ref: string;
  /** How bake read the text, for messages: "a full id", "LINEAGE#BUILD", ... */
  form: string;
  /** What was looked for, in order, each with its outcome. */
  tried: string[];
  record?: ImageRecord;
  /** The text as an artifact id (`sha256:<64 hex>`), when it is spelled as one. */
  artifactId?: string;
  /** The manifest's own reason when it matched nothing, with its hint. */
  manifestError?: BakeError;
}

/**
 * Looks a REF up, in this documented order: first the manifest's `resolve` (a full record id, a unique id prefix,
 * LINEAGE, LINEAGE@CHANNEL, LINEAGE@VERSION, LINEAGE#BUILD); then, for text spelled as a full `sha256:` digest,
 * the image record whose artifact it is (an image record before a layer record, the newest first).
 * Nothing found is not an error here: `record` is undefined and `tried` says why. Errors other than "not found"
 * (an ambiguous prefix, an unreadable manifest) are thrown as they are.
 */
export function lookUpRef(manifest: Manifest, ref: string): RefLookup {
  const text = ref.trim();
  const pulled = REGISTRY_DIGEST.exec(text);
  if (pulled) return lookUpImageDigest(manifest, { ref, digest: pulled[3] as string });
  const digest = FULL_DIGEST.exec(text);
  const artifactId = digest ? `sha256:${digest[1]}` : undefined;
  const lookup: RefLookup = { ref, form: formOf(text), tried: [], ...(artifactId ? { artifactId } : {}) };
  try {
    lookup.record = manifest.resolve(text);
    return lookup;
  } catch (error) {
    if (!(error instanceof BakeError) || error.code !== "ref-not-found") throw error;
    lookup.manifestError = error;
    lookup.tried.push(`the records of ${manifest.path}: ${reasonOf(error, manifest.path)}`);
  }
  if (artifactId) {
    const match = findByImageDigest(manifest, artifactId);
    if (match) {
      lookup.record = match.record;
      return lookup;
    }
    lookup.tried.push(`a push (publish event) or a record's artifact with the digest ${artifactId}: none`);
  }
  return lookup;
}

// A registry reference by digest names no record directly: only pushes and artifacts can match it.
function lookUpImageDigest(manifest: Manifest, options: { ref: string; digest: string }): RefLookup {
  const lookup: RefLookup = {
    ref: options.ref,
    form: "an image in a registry, by digest (REGISTRY/REPO@sha256:...)",
    tried: [],
    artifactId: options.digest,
  };
  const match = findByImageDigest(manifest, options.digest);
  if (match) lookup.record = match.record;
  else
    lookup.tried.push(
      `a push (publish event) of ${manifest.path} or a record's artifact with the digest ${options.digest}: none`,
    );
  return lookup;
}

/** Resolves a REF to a record by {@link lookUpRef}, or throws an error naming the form read and what was tried. */
export function resolveRef(manifest: Manifest, ref: string): ImageRecord {
  const lookup = lookUpRef(manifest, ref);
  if (lookup.record) return lookup.record;
  throw refNotFound(lookup);
}

/** The error for a REF nothing matched: how bake read it and each thing it tried, in order. */
export function refNotFound(lookup: RefLookup): BakeError {
  const hint = lookup.manifestError?.hint;
  return new BakeError({
    code: "ref-not-found",
    message: `nothing matches "${lookup.ref}": bake read it as ${lookup.form}`,
    detail: ["tried, in order:", ...lookup.tried.map((step, index) => `  ${index + 1}. ${step}`)].join("\n"),
    // The manifest's hint is worth more when it is specific (a near lineage name, the channels there are).
    hint: hint && !hint.startsWith("a reference is") ? hint : REF_FORMS,
  });
}

// How the text reads, following the manifest's rules: a lineage name wins over an id prefix spelled the same.
function formOf(text: string): string {
  if (FULL_DIGEST.test(text)) return "a full id (a record id, or else an artifact id)";
  const at = text.search(/[@#]/);
  const name = at === -1 ? text : text.slice(0, at);
  if (at !== -1 && LINEAGE_NAME.test(name)) {
    return text[at] === "#" ? "LINEAGE#BUILD" : "LINEAGE@CHANNEL or LINEAGE@VERSION";
  }
  if (ID_PREFIX.test(text)) {
    return LINEAGE_NAME.test(text) ? "a lineage name, or else a record id prefix" : "a record id prefix";
  }
  if (LINEAGE_NAME.test(text)) return "a lineage name (its newest active image)";
  return "none of the forms of a REF";
}

// The manifest says `cannot resolve "REF" in PATH: WHY`; the list wants the WHY.
function reasonOf(error: BakeError, path: string): string {
  const marker = ` in ${path}: `;
  const at = error.message.indexOf(marker);
  return at === -1 ? error.message : error.message.slice(at + marker.length);
}
