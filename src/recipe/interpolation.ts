/** One `${vars.NAME}` (or look-alike) found in a string. */
export interface Interpolation {
  /** The text as written, such as `${vars.app_version}`. */
  text: string;
  /** The namespace before the dot (`vars` when well formed). */
  namespace: string;
  name: string;
}

const PATTERN = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([^}\s]*)\s*\}/g;

/** Every `${namespace.name}` in `text`; bake only knows the `vars` namespace. */
export function findInterpolations(text: string): Interpolation[] {
  if (!text.includes("${")) return [];
  return [...text.matchAll(PATTERN)].map((match) => ({
    text: match[0],
    namespace: match[1] ?? "",
    name: match[2] ?? "",
  }));
}

/** Environment variable name a variable reaches scripts under, by convention: `app_version` -> `APP_VERSION`. */
export function envNameFor(name: string): string {
  return name.toUpperCase();
}
