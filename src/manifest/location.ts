import { isAbsolute, resolve } from "node:path";

/** The manifest's file name when neither `--manifest` nor `BAKE_MANIFEST` says otherwise. */
export const DEFAULT_MANIFEST_FILE = "bake.lineage.jsonl";

/**
 * Where the manifest is: `--manifest PATH` wins, then `BAKE_MANIFEST`, then `bake.lineage.jsonl` in `cwd`.
 * Relative paths resolve against `cwd`.
 */
export function manifestPath(options: {
  flag?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): string {
  const chosen = nonEmpty(options.flag) ?? nonEmpty(options.env.BAKE_MANIFEST) ?? DEFAULT_MANIFEST_FILE;
  return isAbsolute(chosen) ? chosen : resolve(options.cwd, chosen);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
