import { BakeError } from "../../../errors.js";
import { type Descriptor, hostArchitecture } from "../oci.js";

/** An image platform: `os/architecture[/variant]`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** This machine's platform, in OCI names (`linux/amd64`, `linux/arm64`). */
export function hostPlatform(): Platform {
  return { os: "linux", architecture: hostArchitecture() };
}

/** Reads `os/arch[/variant]`; undefined when malformed. */
export function parsePlatform(text: string): Platform | undefined {
  const match = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/.exec(text);
  if (!match) return undefined;
  return {
    os: match[1] as string,
    architecture: match[2] as string,
    ...(match[3] ? { variant: match[3] } : {}),
  };
}

/** `os/arch[/variant]`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}

/**
 * The manifest of an image index for `wanted`: same os and architecture, and the same variant when one is wanted.
 * A clear error lists what the index offers when none fits.
 */
export function pickPlatform(input: { manifests: Descriptor[]; wanted: Platform; ref: string }): Descriptor {
  const { wanted } = input;
  const fits = input.manifests.filter(
    (entry) =>
      entry.platform?.os === wanted.os &&
      entry.platform.architecture === wanted.architecture &&
      (wanted.variant === undefined || entry.platform.variant === wanted.variant),
  );
  const chosen = fits[0];
  if (!chosen) {
    const offered = input.manifests
      .map((entry) => (entry.platform ? formatPlatform(entry.platform) : "unknown"))
      .join(", ");
    throw new BakeError({
      code: "base-platform",
      message: `${input.ref} has no image for ${formatPlatform(wanted)} (it has ${offered || "none"})`,
      hint: "set target.platform to one it has, or pick another base",
    });
  }
  return chosen;
}
