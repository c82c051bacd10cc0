import { BakeError } from "../errors.js";
import type { OpenOptions } from "./api.js";

/**
 * Whether opening must find a manifest (a header) at the location. Explicit `mustExist` wins; otherwise a manifest
 * opened to be created (`create: true`, as `bake build` does) may be missing, and one opened only to read must exist.
 */
export function mustExist(options: Pick<OpenOptions, "create" | "mustExist">): boolean {
  return options.mustExist ?? !options.create;
}

/**
 * Whether the index waits for its first use (and is then built synchronously) instead of being built on open. A
 * history cache serves only that lazy path, so asking for one means lazy unless `lazy` says otherwise; verifying
 * reads every line on open whatever `lazy` says.
 */
export function indexLazily(options: Pick<OpenOptions, "lazy" | "historyCache" | "verify">): boolean {
  return !options.verify && (options.lazy ?? options.historyCache ?? false);
}

/** What opening a missing (or empty) manifest throws when it must exist. */
export function missingManifestError(path: string): BakeError {
  return new BakeError({
    code: "manifest-missing",
    message: `there is no manifest at ${path}`,
    hint: "give --manifest PATH or set BAKE_MANIFEST; `bake build` creates the manifest with its first image (from code: `openManifest(path, { create: true })`, or `mustExist: false` to read a missing one as empty)",
  });
}
