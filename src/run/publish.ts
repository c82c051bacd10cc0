import type { Driver, DriverContext, RegistryCredentials } from "../drivers/driver.js";
import { BakeError } from "../errors.js";
import type { ImageRecord, ManifestEvent, NewEvent } from "../manifest/types.js";
import { revealPlanString, type SecretValues } from "../plan/secrets.js";
import type { PlannedPublish } from "../plan/types.js";

/** What a push needs: the driver that made the image, and a manifest to record it in. */
export interface PublishInput {
  driver: Driver;
  manifest: { appendEvent(input: NewEvent): Promise<ManifestEvent> };
  /** The image record to push (its artifact). */
  record: ImageRecord;
  /** `docker://REGISTRY/REPO:TAG`. */
  destination: string;
  ctx: DriverContext;
  authFile?: string;
  credentials?: RegistryCredentials;
  /** The recipe's target options (the local store, say), when a recipe is known. */
  options?: Record<string, unknown>;
}

/**
 * Pushes a registered image with its driver and records the push as a `publish` event: the record, the
 * destination and the digest the registry holds. Nothing is recorded when the push fails.
 */
export async function publish(input: PublishInput): Promise<Extract<ManifestEvent, { event: "publish" }>> {
  const { driver, record } = input;
  if (!driver.push) {
    throw new BakeError({
      code: "push-driver",
      message: `${record.lineage} ${record.version} is a ${driver.id} image; the ${driver.id} driver cannot push to a registry`,
      hint: "bake pushes images of the local driver; push others with your platform's tools",
    });
  }
  const pushed = await driver.push({
    ...input.ctx,
    image: record.artifact,
    destination: input.destination,
    ...(input.authFile ? { authFile: input.authFile } : {}),
    ...(input.credentials ? { credentials: input.credentials } : {}),
    ...(input.options ? { options: input.options } : {}),
  });
  const event = await input.manifest.appendEvent({
    event: "publish",
    target: record.id,
    destination: pushed.destination,
    digest: pushed.digest,
  });
  return event as Extract<ManifestEvent, { event: "publish" }>;
}

/** The credentials of a planned push, secrets revealed (for the push only; never stored or printed). */
export function publishCredentials(
  entry: PlannedPublish,
  secrets: SecretValues,
): RegistryCredentials | undefined {
  if (!entry.credentials) return undefined;
  return {
    username: revealPlanString(entry.credentials.username, secrets),
    password: revealPlanString(entry.credentials.password, secrets),
  };
}
