import { isAbsolute, relative, resolve, sep } from "node:path";
import type { BakeError, SourceLocation } from "../errors.js";
import type { Diagnostic } from "../recipe/diagnostics.js";
import { RecipeInvalidError } from "../recipe/invalid-error.js";
import { printable } from "../util/printable.js";
import type { TextOut } from "../util/text-out.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The severities GitHub Actions shows as annotations. */
export type AnnotationLevel = "error" | "warning" | "notice";

/** One annotation, before it is written as a workflow command. */
export interface Annotation {
  level: AnnotationLevel;
  message: string;
  /** A short heading GitHub shows above the message. */
  title?: string;
  /** Where the problem is; the file is made relative to `GITHUB_WORKSPACE` when it lies inside it. */
  location?: SourceLocation;
}

/** True when this process runs as a GitHub Actions step, where workflow commands on stdout/stderr are read. */
export function inGithubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/**
 * Escapes a workflow command's message. The runner reads one command per line, so line breaks (and the `%`
 * that encodes them) are percent-encoded: a hostile message cannot end the command and start another.
 */
export function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Escapes a workflow command property value: as {@link escapeData}, plus the `:` and `,` that delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/**
 * Formats annotations as workflow commands (`::error file=F,line=L,col=C,title=T::message`), one per line.
 * Text is passed through `printable()` first, so escape sequences from a recipe show as text, not colours.
 */
export function formatAnnotations(
  annotations: readonly Annotation[],
  options: { env: Env; cwd: string },
): string {
  return annotations
    .map((annotation) => {
      const properties: string[] = [];
      if (annotation.location) {
        const { file, line, col } = annotation.location;
        properties.push(`file=${escapeProperty(printable(workspacePath(file, options)))}`);
        properties.push(`line=${line}`, `col=${col}`);
      }
      if (annotation.title) properties.push(`title=${escapeProperty(printable(annotation.title))}`);
      const head = properties.length > 0 ? `${annotation.level} ${properties.join(",")}` : annotation.level;
      return `::${head}::${escapeData(printable(annotation.message, { multiline: true }))}\n`;
    })
    .join("");
}

/** Recipe diagnostics as annotations: the message, with the hint on a second line. */
export function diagnosticAnnotations(
  diagnostics: readonly Diagnostic[],
  level: "error" | "warning",
): Annotation[] {
  return diagnostics.map((diag) => ({
    level,
    title: `bake: ${diag.code}`,
    message: diag.hint ? `${diag.message}\nhint: ${diag.hint}` : diag.message,
    ...(diag.location ? { location: diag.location } : {}),
  }));
}

/**
 * Writes recipe diagnostics as workflow commands when running in GitHub Actions; does nothing elsewhere.
 * Commands print their usual text as well: annotations are an addition for the Actions UI.
 */
export function annotateDiagnostics(
  out: TextOut,
  options: { diagnostics: readonly Diagnostic[]; level: "error" | "warning"; env: Env; cwd: string },
): void {
  if (!inGithubActions(options.env) || options.diagnostics.length === 0) return;
  out.write(formatAnnotations(diagnosticAnnotations(options.diagnostics, options.level), options));
}

/**
 * Writes the error that ends a command as a workflow command when running in GitHub Actions. A recipe that does
 * not validate becomes one annotation per diagnostic (at its `file:line:col`); any other error becomes one.
 */
export function annotateError(
  out: TextOut,
  options: { error: BakeError; command: string | undefined; env: Env; cwd: string },
): void {
  if (!inGithubActions(options.env)) return;
  const { error } = options;
  const diagnostics = recipeDiagnostics(error);
  const annotations: Annotation[] =
    diagnostics.length > 0
      ? diagnosticAnnotations(diagnostics, "error")
      : [
          {
            level: "error",
            title: options.command ? `bake ${options.command}: ${error.code}` : `bake: ${error.code}`,
            message: error.hint ? `${error.message}\nhint: ${error.hint}` : error.message,
            ...(error.location ? { location: error.location } : {}),
          },
        ];
  out.write(formatAnnotations(annotations, options));
}

// A recipe that does not validate carries its diagnostics; other errors carry none.
function recipeDiagnostics(error: BakeError): readonly Diagnostic[] {
  return error instanceof RecipeInvalidError ? error.diagnostics : [];
}

// GitHub matches annotations to files by their path in the repository, which is the workspace.
function workspacePath(file: string, options: { env: Env; cwd: string }): string {
  const workspace = options.env.GITHUB_WORKSPACE;
  if (workspace === undefined || workspace === "") return file;
  const absolute = isAbsolute(file) ? file : resolve(options.cwd, file);
  const inside = relative(resolve(workspace), absolute);
  if (inside === "" || inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside)) return file;
  return inside.split(sep).join("/");
}
