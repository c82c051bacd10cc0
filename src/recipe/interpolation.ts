/** One `${vars.NAME}` (or look-alike) found in a string. */
export interface Interpolation {
  /** The text as written, such as `${vars.app_version}` (a malformed one up to its `}`, cut short). */
  text: string;
  /** The namespace before the dot (`vars` when well formed, and for every look-alike of it). */
  namespace: string;
  /** The variable named; for a malformed reference, the name it seems to mean (or `""`). */
  name: string;
  /** Offset in the string. */
  index: number;
  /** Written exactly `${vars.NAME}`: the only form bake fills in. */
  wellFormed: boolean;
}

/**
 * The one syntax of a variable reference, shared by the validator, the compiler and the executors: `${vars.NAME}`,
 * exactly (no spaces). Global, so use it only with `replace`, `matchAll` and `search`, which keep no state
 * between calls.
 */
export const VAR_REFERENCE = /\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

const WELL_FORMED = /\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}/y;
// The start of anything meant as a reference: `${`, spaces perhaps, `vars`, and a dot or the closing brace. Other
// shell forms (`${vars[@]}`, `${vars:-x}`) are left to the file content that may hold them.
const ATTEMPT = /\$\{\s*vars\s*[.}]/g;
// In a shell script any `${vars` is refused: it is either an attempt at a reference or too close to one to tell.
const SCRIPT_ATTEMPT = /\$\{\s*vars\b/g;
// What a malformed reference seems to mean, for the hint: `${ vars . app }` means `${vars.app}`.
const MEANT = /\$\{\s*vars\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)(?=\s*(?:\}|$))/y;
// `${namespace.name}` in another namespace (`${env.HOME}`): not bake's syntax, but a likely mistake in a plain field.
const OTHER = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([^}\s]*)\s*\}/g;
const MAX_SHOWN = 60;

/**
 * Every `${vars.NAME}` in `text`, every malformed attempt at one (`${ vars.x }`, `${vars}`, `${vars.x`), and every
 * `${namespace.name}` of another namespace, in order.
 *
 * @param options.script - `text` is a shell script: every `${vars...}` counts, `${vars[@]}` too. @default false
 */
export function findInterpolations(text: string, options: { script?: boolean } = {}): Interpolation[] {
  if (!text.includes("${")) return [];
  const found: Interpolation[] = [];
  for (const attempt of text.matchAll(options.script ? SCRIPT_ATTEMPT : ATTEMPT)) {
    const index = attempt.index;
    WELL_FORMED.lastIndex = index;
    const exact = WELL_FORMED.exec(text);
    if (exact) {
      found.push({ text: exact[0], namespace: "vars", name: exact[1] ?? "", index, wellFormed: true });
      continue;
    }
    MEANT.lastIndex = index;
    const meant = MEANT.exec(text);
    found.push({
      text: attemptText(text, index),
      namespace: "vars",
      name: meant?.[1] ?? "",
      index,
      wellFormed: false,
    });
  }
  for (const other of text.matchAll(OTHER)) {
    if (other[1] === "vars") continue;
    found.push({
      text: other[0],
      namespace: other[1] ?? "",
      name: other[2] ?? "",
      index: other.index,
      wellFormed: false,
    });
  }
  return found.sort((a, b) => a.index - b.index);
}

// A malformed reference as written: up to its `}` (or the next `${`, or the line's end), cut short.
function attemptText(text: string, index: number): string {
  let end = index + 2;
  while (end < text.length && text[end] !== "}" && text[end] !== "\n" && !text.startsWith("${", end)) end++;
  if (text[end] === "}") end++;
  const shown = text.slice(index, end);
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown;
}

/** The message and hint for a malformed reference (`use.wellFormed` false, namespace `vars`). */
export function malformedReference(use: Interpolation): { message: string; hint: string } {
  return {
    message: `\`${use.text}\` is not a variable reference bake can read`,
    hint: use.name
      ? `write \`\${vars.${use.name}}\`, with no spaces`
      : `write \`\${vars.NAME}\`, with no spaces, naming a variable declared under \`vars:\``,
  };
}

/** Environment variable name a variable reaches scripts under, by convention: `app_version` -> `APP_VERSION`. */
export function envNameFor(name: string): string {
  return name.toUpperCase();
}
