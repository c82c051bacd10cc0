import { describeWithId } from "../manifest/describe.js";
import { manifestPath } from "../manifest/location.js";
import { type Manifest, openManifest } from "../manifest/manifest.js";
import type { ImageStatus, Integrity, ParentLink } from "../manifest/types.js";
import { printable } from "../util/printable.js";
import { type Style, styleFor } from "../util/style.js";
import type { CommandIO, OptionValues } from "./io.js";

/**
 * Opens the manifest a command names (`--manifest`, `BAKE_MANIFEST`, or the default file in the current directory).
 * Lazily: a one-shot command indexes on first use, synchronously, and `bake history` can use a cheaper index.
 */
export async function openForCommand(
  values: OptionValues,
  io: CommandIO,
  options: { mustExist?: boolean; warn?: boolean } = {},
): Promise<Manifest> {
  return openManifest(locationFor(values, io), {
    env: io.env,
    historyCache: true,
    lazy: true,
    mustExist: options.mustExist ?? false,
    ...(options.warn === false
      ? {}
      : // Warnings quote the file (a damaged line's JSON error, a field name): escaped, like everything else shown.
        { onWarning: (message: string) => io.stderr.write(`warning: ${printable(message)}\n`) }),
  });
}

/**
 * The manifest location a command names: `--manifest`, else `BAKE_MANIFEST`, else the default file. A store URL may
 * carry a password: pass it to `openManifest`, print `manifest.path` (or `displayLocation`) instead.
 */
export function locationFor(values: OptionValues, io: CommandIO): string {
  const flag = typeof values.manifest === "string" ? values.manifest : undefined;
  return manifestPath({ flag, env: io.env, cwd: io.cwd });
}

/**
 * Warns on stderr about what a reader is about to show: a torn last line (ignored), and a broken hash chain (shown
 * anyway, but not what bake recorded). Returns the integrity, for `--json` output.
 */
export function warnAboutManifest(manifest: Manifest, io: CommandIO): Integrity {
  const torn = manifest.tornTail();
  if (torn) {
    io.stderr.write(
      `warning: ${manifest.path} line ${torn.line} is torn (${torn.bytes} bytes without a newline, from a write a crash cut short); it is ignored, and the next write moves it to ${manifest.path}.torn\n`,
    );
  }
  const integrity = manifest.integrity();
  if (integrity.problem) {
    io.stderr.write(
      `warning: ${manifest.path}: ${integrity.problem.message}; what is shown may not be what bake recorded, and bake will not write to it (run \`bake fsck\`, then restore line ${integrity.problem.line} from git or a backup)\n`,
    );
  }
  return integrity;
}

/** The fields every reader's `--json` output carries about the manifest's integrity. */
export function integrityJson(integrity: Integrity): { intact: boolean; problem?: Integrity["problem"] } {
  return integrity.problem ? { intact: false, problem: integrity.problem } : { intact: true };
}

// JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B is a one-character CSI) and bidi overrides
// raw; as \u escapes they mean the same to a JSON parser and nothing to a terminal.
const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** A value as one line of JSON (for JSON-lines output), with characters that could drive a terminal escaped. */
export function jsonLine(value: unknown): string {
  const text = JSON.stringify(value);
  if (!JSON_UNSAFE.test(text)) return `${text}\n`;
  return `${text.replace(
    new RegExp(JSON_UNSAFE.source, "gu"),
    (char) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, "0")}`,
  )}\n`;
}

/** Prints a value as pretty JSON on stdout, with characters that could drive a terminal escaped. */
export function writeJson(io: CommandIO, value: unknown): void {
  let text = JSON.stringify(value, null, 2);
  // A scan without a match is cheap; most documents have nothing to escape.
  if (JSON_UNSAFE.test(text)) {
    text = text.replace(
      new RegExp(JSON_UNSAFE.source, "gu"),
      (char) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, "0")}`,
    );
  }
  // Two writes: joining a large document and its newline would copy the whole text once more.
  io.stdout.write(text);
  io.stdout.write("\n");
}

/**
 * A value from a manifest with every string (keys too) passed through {@link printable}, for text output: a manifest
 * is shared, so a reason, label or version in it must not be able to drive the reader's terminal. Copied only where
 * something had to be escaped: an array or object with nothing to escape is returned as it is (a history of 1,000
 * images was copied whole, object by object, for nothing). The result is for reading only.
 */
export function safe<T>(value: T): T {
  if (typeof value === "string") return printable(value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const shown = safe(item);
      if (shown === item) return;
      copy ??= [...value];
      copy[index] = shown;
    });
    return (copy ?? value) as T;
  }
  if (typeof value === "object" && value !== null) {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    let copy: Record<string, unknown> | undefined;
    keys.forEach((key, index) => {
      const shownKey = printable(key);
      const shown = safe(source[key]);
      if (copy === undefined && (shownKey !== key || shown !== source[key])) {
        // Every key before this one had nothing to escape: the copy starts with them as they are.
        copy = {};
        for (const earlier of keys.slice(0, index)) copy[earlier] = source[earlier];
      }
      if (copy !== undefined) copy[shownKey] = shown;
    });
    return (copy ?? value) as T;
  }
  return value;
}

/** The style for stdout, honouring NO_COLOR and `--no-color`. */
export function stdoutStyle(io: CommandIO, values: OptionValues): Style {
  return styleFor(io.stdout, io.env, values["no-color"] === true);
}

/** "just now", "5m ago", "3h ago", "2d ago". */
export function age(iso: string, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** `revoked: CVE-2026-1234`, `deprecated: superseded`, or "" for active images. */
export function statusText(status: ImageStatus | { status: string; reason?: string }, style: Style): string {
  if (status.status === "active") return "";
  const text = `${status.status}${status.reason ? `: ${printable(status.reason)}` : ""}`;
  return status.status === "revoked" ? style.red(text) : style.yellow(text);
}

/** `base#3 (3f2a9c1b7e4d)` for a record parent, `docker-archive:./base.tar = sha256:...` for an external base. */
export function parentText(manifest: Manifest, parent: ParentLink): string {
  if ("external" in parent) return printable(`${parent.external.ref} = ${parent.external.id}`);
  const record = manifest.get(parent.record);
  return record ? describeWithId(record) : `${printable(parent.record)} (not in this manifest)`;
}
