import { BakeError } from "../errors.js";
import { compareVersions } from "./compare.js";
import type { Ecosystem } from "./types.js";

type Operator = "<" | "<=" | ">" | ">=" | "=" | "!=";

/** One bound of a version range: `<3.0.13`, `>=1.2`, `=1:2.3-4`. */
export interface VersionBound {
  operator: Operator;
  version: string;
}

/** What `bake query package` looks for: a package name and, optionally, every bound its version must meet. */
export interface PackageQuery {
  name: string;
  bounds: VersionBound[];
}

/**
 * Parses `NAME`, `NAME@RANGE`, where a range is comma-separated bounds (`<3.0.13`, `>=1.2,<2`, `=x`) and a bare
 * version means exactly that version. Throws a BakeError (exit 2) for anything else.
 */
export function parsePackageQuery(text: string): PackageQuery {
  const at = text.indexOf("@");
  const name = at >= 0 ? text.slice(0, at) : text;
  if (!/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/.test(name)) {
    throw new BakeError({
      code: "bad-package-query",
      message: `"${name}" is not a package name`,
      hint: "give NAME or NAME@RANGE, such as openssl@<3.0.13 or libc6@>=2.36,<2.37",
    });
  }
  if (at < 0) return { name, bounds: [] };
  const bounds = text
    .slice(at + 1)
    .split(",")
    .map((part) => parseBound(part.trim(), text));
  return { name, bounds };
}

function parseBound(part: string, whole: string): VersionBound {
  const match = /^(<=|>=|!=|<|>|==?)?\s*([A-Za-z0-9.+~:_-]+)$/.exec(part);
  if (!match) {
    throw new BakeError({
      code: "bad-package-query",
      message: `"${whole}": "${part}" is not a version bound`,
      hint: "bounds are <V, <=V, >V, >=V, =V or !=V, separated by commas (>=1.2,<2)",
    });
  }
  const operator = (match[1] === "==" ? "=" : (match[1] ?? "=")) as Operator;
  return { operator, version: match[2] as string };
}

const HOLDS: Record<Operator, (order: number) => boolean> = {
  "<": (order) => order < 0,
  "<=": (order) => order <= 0,
  ">": (order) => order > 0,
  ">=": (order) => order >= 0,
  "=": (order) => order === 0,
  "!=": (order) => order !== 0,
};

/** Whether a version meets every bound, compared with its ecosystem's ordering. */
export function matchesBounds(
  ecosystem: Ecosystem,
  version: string,
  bounds: readonly VersionBound[],
): boolean {
  return bounds.every((bound) => {
    const order = compareVersions(ecosystem, version, bound.version);
    return HOLDS[bound.operator](order);
  });
}
