import path from "node:path";
import { BakeError } from "../errors.js";
import { nearest } from "../util/nearest.js";
import { planRelative } from "./paths.js";
import type { ExternalScheme, ParentSpec } from "./types.js";

const PATH_SCHEMES = ["oci-archive", "docker-archive", "dir"] as const;
const SCHEMES: readonly string[] = ["scratch", "host", ...PATH_SCHEMES, "gce", "docker"];
// A lineage name, optionally followed by @channel, @version or #build.
const LINEAGE_REF = /^([a-z][a-z0-9-]*)(?:@[A-Za-z0-9][A-Za-z0-9._+-]*|#[0-9]+)?$/;

/**
 * Parses a recipe's `from` into a parent spec: a lineage in the manifest (`name`, `name@channel`,
 * `name@version`, `name#build`) or an external image (`scratch`, `host`, `oci-archive:PATH`,
 * `docker-archive:PATH`, `dir:PATH`, `gce:...`, `docker://...`). Path schemes resolve against `root`; without one,
 * a relative path stays relative (normalised, `/`-separated), as a plan keeps it.
 */
export function parseParent(ref: string, root?: string): ParentSpec {
  if (ref === "scratch" || ref === "host") return { kind: "external", ref, scheme: ref, location: "" };
  if (ref.startsWith("docker://")) return external(ref, "docker", ref.slice("docker://".length));
  const colon = ref.indexOf(":");
  if (colon > 0) {
    const scheme = ref.slice(0, colon);
    const rest = ref.slice(colon + 1);
    if ((PATH_SCHEMES as readonly string[]).includes(scheme)) {
      const location =
        rest === "" ? "" : root !== undefined ? path.resolve(root, rest) : relativeOrAbsolute(rest);
      return external(ref, scheme as ExternalScheme, location);
    }
    if (scheme === "gce") return external(ref, "gce", rest);
    const guess = nearest(scheme, SCHEMES);
    throw new BakeError({
      code: "parent-invalid",
      message: `from: "${ref}" uses an unknown scheme "${scheme}:"`,
      hint: guess
        ? `did you mean "${guess}:"? External parents are ${describeSchemes()}`
        : `external parents are ${describeSchemes()}`,
    });
  }
  const match = LINEAGE_REF.exec(ref);
  if (!match?.[1]) {
    throw new BakeError({
      code: "parent-invalid",
      message: `from: "${ref}" is neither a lineage reference nor an external image`,
      hint: `write a lineage as name, name@channel or name#build, or an external image as ${describeSchemes()}`,
    });
  }
  return { kind: "lineage", ref, lineage: match[1] };
}

function external(ref: string, scheme: ExternalScheme, location: string): ParentSpec {
  if (location === "") {
    throw new BakeError({
      code: "parent-invalid",
      message: `from: "${ref}" has nothing after the scheme`,
      hint:
        scheme === "docker"
          ? "write docker://IMAGE:TAG"
          : `write ${scheme}:${scheme === "gce" ? "IMAGE" : "PATH"}`,
    });
  }
  return { kind: "external", ref, scheme, location };
}

function relativeOrAbsolute(written: string): string {
  return path.isAbsolute(written) ? path.resolve(written) : planRelative(written);
}

function describeSchemes(): string {
  return "scratch, host, oci-archive:PATH, docker-archive:PATH, dir:PATH, gce:IMAGE or docker://IMAGE";
}
