import { isAbsolute, resolve } from "node:path";
import { BakeError } from "../errors.js";

/** The manifest's file name when neither `--manifest` nor `BAKE_MANIFEST` says otherwise. */
export const DEFAULT_MANIFEST_FILE = "bake.lineage.jsonl";

/** The branch a git store keeps the lineage on when the location names none. */
export const DEFAULT_GIT_BRANCH = "bake/lineage";

/** The PostgreSQL schema a store uses when the location names none. */
export const DEFAULT_PG_SCHEMA = "bake";

/**
 * Where the manifest is: `--manifest LOCATION` wins, then `BAKE_MANIFEST`, then `bake.lineage.jsonl` in `cwd`.
 * Relative paths resolve against `cwd`; store locations (`git+...`, `postgres://...`) are returned as given.
 */
export function manifestPath(options: {
  flag?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): string {
  const chosen = nonEmpty(options.flag) ?? nonEmpty(options.env.BAKE_MANIFEST) ?? DEFAULT_MANIFEST_FILE;
  if (isStoreLocation(chosen)) return chosen;
  return isAbsolute(chosen) ? chosen : resolve(options.cwd, chosen);
}

/** Where a lineage lives: a file, a branch of a git remote, or a PostgreSQL schema. */
export type ManifestLocation =
  | { kind: "file"; path: string; display: string }
  | {
      kind: "git";
      /** What git is given: `file:///srv/lineage.git`, `ssh://...`, `https://...` (never with a password). */
      remote: string;
      branch: string;
      display: string;
    }
  | {
      kind: "postgres";
      /** The connection URL without bake's own `schema` parameter; may hold a password, so never print it. */
      url: string;
      schema: string;
      /** The URL without its password, for output and errors. */
      display: string;
    };

/** True for `git+...://`, `postgres://` and `postgresql://` locations. */
export function isStoreLocation(text: string): boolean {
  return /^(git\+[a-z]+:|postgres(ql)?:)/i.test(text);
}

/** Parses a `--manifest` value. Paths resolve against `cwd`. Throws a BakeError for a malformed store URL. */
export function parseLocation(text: string, cwd: string = process.cwd()): ManifestLocation {
  if (/^git\+/i.test(text)) return parseGit(text);
  if (/^postgres(ql)?:/i.test(text)) return parsePostgres(text);
  const path = isAbsolute(text) ? text : resolve(cwd, text);
  return { kind: "file", path, display: path };
}

/** A location as it may be printed: the URL with any password replaced by nothing. */
export function displayLocation(text: string): string {
  return isStoreLocation(text) ? parseLocationSafely(text) : text;
}

function parseLocationSafely(text: string): string {
  try {
    return parseLocation(text).display;
  } catch {
    return "(an unparsable store location)";
  }
}

function parseGit(text: string): ManifestLocation {
  const rest = text.slice("git+".length);
  const hash = rest.indexOf("#");
  const remoteText = hash < 0 ? rest : rest.slice(0, hash);
  const branch = decodeURIComponent(hash < 0 ? "" : rest.slice(hash + 1)) || DEFAULT_GIT_BRANCH;
  const url = urlOf(remoteText, "git");
  if (!["file:", "ssh:", "https:", "http:", "git:"].includes(url.protocol)) {
    throw invalid(
      `git+${url.protocol}`,
      "git stores use git+file://, git+ssh://, git+https:// or git+git:// URLs",
    );
  }
  if (url.password) {
    throw new BakeError({
      code: "store-location-invalid",
      message: `the git store location ${redact(url)} carries a password; bake will not pass it to git on a command line`,
      hint: "keep the credentials in a git credential helper or an ssh key, as CI already does for `git push`",
    });
  }
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes("..") || branch.startsWith("-")) {
    throw invalid(branch, "the branch after # may hold letters, digits, '.', '_', '-' and '/'");
  }
  const remote = remoteText;
  return { kind: "git", remote, branch, display: `git+${redact(url)}#${branch}` };
}

function parsePostgres(text: string): ManifestLocation {
  const url = urlOf(text, "postgres");
  const schema = url.searchParams.get("schema") ?? DEFAULT_PG_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw invalid(`schema=${schema}`, "a schema name is lowercase letters, digits and '_'");
  }
  url.searchParams.delete("schema");
  const display = new URL(redact(url));
  display.searchParams.set("schema", schema);
  return { kind: "postgres", url: url.toString(), schema, display: display.toString() };
}

function urlOf(text: string, what: string): URL {
  try {
    return new URL(text);
  } catch {
    throw invalid(what === "git" ? "this git store location" : "this PostgreSQL location", "it is not a URL");
  }
}

// The URL without its password (the user name stays: it says who bake connects as).
function redact(url: URL): string {
  const copy = new URL(url.toString());
  copy.password = "";
  return copy.toString();
}

function invalid(what: string, why: string): BakeError {
  return new BakeError({
    code: "store-location-invalid",
    message: `cannot use ${what} as a manifest location: ${why}`,
    hint: "give a path, git+file:///srv/lineage.git#bake/lineage, git+ssh://git@host/org/repo.git, or postgres://user@host:5432/db?schema=bake",
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
