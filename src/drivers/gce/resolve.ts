import { BakeError } from "../../errors.js";
import type { ParentSpec } from "../../plan/types.js";
import type { Artifact, ResolvedImage } from "../driver.js";
import { isNotFound } from "./call.js";
import { formatImageId, parseImageId, parseImageReference } from "./image-ref.js";
import type { GceSession, Image } from "./session.js";

/**
 * Resolves `gce:projects/P/global/images/family/F` (the family's newest non-deprecated image) or
 * `gce:projects/P/global/images/NAME` to an exact image: name plus numeric id. A DEPRECATED image warns;
 * an OBSOLETE or DELETED one, or one that does not exist, fails.
 */
export async function resolveImage(
  parent: Extract<ParentSpec, { kind: "external" }>,
  session: GceSession,
): Promise<ResolvedImage> {
  const reference = parent.scheme === "gce" ? parseImageReference(parent.location) : undefined;
  if (!reference) {
    throw new BakeError({
      code: "parent-unsupported",
      message: `the gce driver cannot start from "${parent.ref}"`,
      hint: "use gce:projects/PROJECT/global/images/family/FAMILY or gce:projects/PROJECT/global/images/NAME",
    });
  }
  let image: Image;
  try {
    image = await session.getImage(reference);
  } catch (error) {
    if (isNotFound((error as { cause?: unknown }).cause)) {
      throw new BakeError({
        code: "gce-parent-not-found",
        message: `parent image ${parent.ref} does not exist${"family" in reference ? " (or every image of the family is deprecated)" : ""}`,
        hint: "check the project and the image or family name (gcloud compute images list --project ...)",
        cause: error,
      });
    }
    throw error;
  }
  const warnings: string[] = [];
  const state = image.deprecated?.state ?? "ACTIVE";
  const replacement = image.deprecated?.replacement ? ` (replacement: ${image.deprecated.replacement})` : "";
  if (state === "OBSOLETE" || state === "DELETED") {
    throw new BakeError({
      code: "gce-parent-obsolete",
      message: `parent image ${image.name} is ${state}${replacement}`,
      hint: "build on its replacement or another image",
    });
  }
  if (state === "DEPRECATED") warnings.push(`parent image ${image.name} is DEPRECATED${replacement}`);
  const project = reference.project;
  return {
    ref: parent.ref,
    id: formatImageId({ project, name: image.name ?? "", numericId: String(image.id ?? "") }),
    details: imageDetails(image),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** Confirms a recorded image still exists with the same numeric id and can still boot. */
export async function inspectImage(artifactId: string, session: GceSession): Promise<Artifact | undefined> {
  const id = parseImageId(artifactId);
  if (!id) return undefined;
  try {
    const image = await session.getImage({ project: id.project, name: id.name });
    if (String(image.id) !== id.numericId) return undefined;
    const state = image.deprecated?.state ?? "ACTIVE";
    if (state === "OBSOLETE" || state === "DELETED") return undefined;
    return { id: artifactId, driver: "gce", details: imageDetails(image) };
  } catch (error) {
    if (isNotFound((error as { cause?: unknown }).cause)) return undefined;
    throw error;
  }
}

function imageDetails(image: Image): Record<string, string> {
  const details: Record<string, string> = {
    selfLink: image.selfLink ?? "",
    imageId: String(image.id ?? ""),
    name: image.name ?? "",
  };
  if (image.family) details.family = image.family;
  if (image.creationTimestamp) details.created = image.creationTimestamp;
  if (image.deprecated?.state) details.deprecation = image.deprecated.state;
  return details;
}
