import { LABEL, labelValue } from "./labels.js";
import { PAGED } from "./servers.js";
import type { GceSession, Image } from "./session.js";

/** What `retain` did: the images it deprecated, newest first. */
export interface RetainReport {
  kept: string[];
  deprecated: string[];
}

/**
 * Applies `retain: { keep: N }`: among the lineage's active images in its family, the N newest stay and the
 * older ones become DEPRECATED with the newest as replacement (new instances then use the replacement;
 * running ones are untouched). Images of the family that bake did not make are left alone.
 */
export async function retainImages(
  session: GceSession,
  input: { lineage: string; family: string; keep: number; newest: Image },
): Promise<RetainReport> {
  const project = session.options.project;
  const images = await session.list("images.list", () =>
    session.compute.images.listAsync({ project, filter: `family = "${input.family}"` }, PAGED),
  );
  const ours = images
    .filter((image) => image.family === input.family)
    .filter((image) => image.labels?.[LABEL.lineage] === labelValue(input.lineage))
    .filter((image) => (image.deprecated?.state ?? "ACTIVE") === "ACTIVE")
    .sort(
      (a, b) =>
        Date.parse(String(b.creationTimestamp)) - Date.parse(String(a.creationTimestamp)) ||
        String(b.id).localeCompare(String(a.id)),
    );
  const keep = Math.max(1, input.keep);
  const kept = ours.slice(0, keep);
  if (!kept.some((image) => image.name === input.newest.name) && input.newest.name)
    kept.unshift(input.newest);
  const older = ours.filter((image) => !kept.some((k) => k.name === image.name));
  for (const image of older) {
    await session.deprecateImage({
      project,
      name: String(image.name),
      state: "DEPRECATED",
      ...(input.newest.selfLink ? { replacement: input.newest.selfLink } : {}),
    });
  }
  return {
    kept: kept.map((image) => String(image.name)),
    deprecated: older.map((image) => String(image.name)),
  };
}

/**
 * Runs retention for a finished image of a plan with `retain`, once the image is final: after verification,
 * or right after the last layer when the plan has no checks. Reports what it deprecated as a note; never throws.
 */
export async function retainAfterBuild(input: {
  session: GceSession;
  plan: { lineage: string; retain?: { keep: number } };
  imageName: string;
  family: string;
  report: (message: string) => void;
}): Promise<void> {
  const retain = input.plan.retain;
  if (!retain) return;
  let result: RetainReport;
  try {
    const newest = await input.session.getImage({
      project: input.session.options.project,
      name: input.imageName,
    });
    result = await retainImages(input.session, {
      lineage: input.plan.lineage,
      family: input.family,
      keep: retain.keep,
      newest,
    });
  } catch (error) {
    // Retention is housekeeping: the new image is good whether or not older ones could be deprecated.
    input.report(
      `retain: could not deprecate older images: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  if (result.deprecated.length > 0) {
    input.report(
      `retain keep ${retain.keep}: deprecated ${result.deprecated.join(", ")} (replacement ${input.imageName})`,
    );
  }
}
