import { BakeError } from "../../errors.js";
import { capture } from "../../util/capture.js";

/** The oldest Packer that reads HCL2 JSON templates with `source` and `build` blocks. */
export const MINIMUM_PACKER = { major: 1, minor: 6, patch: 0 };

const INSTALL_HINT =
  "install Packer 1.6 or later: `apt-get install packer` on Debian and Ubuntu, or a release from " +
  "https://releases.hashicorp.com/packer/ ; set BAKE_PACKER=/path/to/packer if it is not on PATH";

/** Runs `packer version` and checks it is new enough; the version string, such as `1.6.6`. */
export async function packerVersion(options: {
  packerPath: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): Promise<string> {
  const result = await capture(options.packerPath, ["version"], {
    env: { ...options.env, CHECKPOINT_DISABLE: "1" },
    cwd: options.cwd,
    timeoutMs: 60_000,
  });
  if (result.missing) throw missing(options.packerPath, result.error);
  // Whatever else went wrong (not executable, killed), the text says no version and checkVersion says so.
  return checkVersion(result.stdout, options.packerPath);
}

/** A Packer version. */
export interface PackerVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Reads the version from `packer version` output (`Packer v1.6.6`, and newer Packers' longer text). */
export function parsePackerVersion(text: string): PackerVersion | undefined {
  const match = /Packer v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** The version `packer version` printed, as `1.6.6`; throws a BakeError with the install hint when unusable. */
export function checkVersion(text: string, packerPath: string): string {
  const version = parsePackerVersion(text);
  if (!version) {
    throw new BakeError({
      code: "packer-version-unknown",
      message: `"${packerPath} version" did not print a Packer version`,
      hint: INSTALL_HINT,
    });
  }
  const { major, minor, patch } = version;
  if (!atLeast(version, MINIMUM_PACKER)) {
    throw new BakeError({
      code: "packer-too-old",
      message: `Packer ${major}.${minor}.${patch} is too old: bake's templates need Packer ${MINIMUM_PACKER.major}.${MINIMUM_PACKER.minor} or later`,
      hint: INSTALL_HINT,
    });
  }
  return `${major}.${minor}.${patch}`;
}

function atLeast(
  version: { major: number; minor: number; patch: number },
  minimum: { major: number; minor: number; patch: number },
): boolean {
  if (version.major !== minimum.major) return version.major > minimum.major;
  if (version.minor !== minimum.minor) return version.minor > minimum.minor;
  return version.patch >= minimum.patch;
}

function missing(packerPath: string, cause?: unknown): BakeError {
  return new BakeError({
    code: "packer-missing",
    message: `cannot run Packer: "${packerPath}" was not found`,
    hint: INSTALL_HINT,
    ...(cause === undefined ? {} : { cause }),
  });
}
