/** re2js's CommonJS build, the file esbuild bundles. */
export const RE2JS_BUILD: RegExp;
/** re2js's build source with the patch applied; throws when the source is not the one the patch was written for. */
export function patchRe2js(source: string): string;
/** The esbuild plugin that bundles re2js patched. */
export const re2jsPatch: { name: string; setup(bundler: unknown): void };
