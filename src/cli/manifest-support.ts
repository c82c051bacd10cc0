import { BakeError } from "../errors.js";
import { describeWithId } from "../manifest/describe.js";
import { manifestPath } from "../manifest/location.js";
import { type Manifest, openManifest } from "../manifest/manifest.js";
import type { ImageStatus, ParentLink } from "../manifest/types.js";
import { type Style, styleFor } from "../util/style.js";
import type { CommandIO, OptionValues } from "./io.js";

/** Opens the manifest a command names (`--manifest`, `BAKE_MANIFEST`, or the default file in the current directory). */
export async function openForCommand(
  values: OptionValues,
  io: CommandIO,
  options: { mustExist?: boolean } = {},
): Promise<Manifest> {
  const path = locationFor(values, io);
  const manifest = await openManifest(path, {
    env: io.env,
    historyCache: true,
    onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
  });
  if (options.mustExist && manifest.header() === undefined) {
    throw new BakeError({
      code: "manifest-missing",
      message: `there is no manifest at ${manifest.path}`,
      hint: "give --manifest PATH or set BAKE_MANIFEST; `bake build` creates the manifest with its first image",
    });
  }
  return manifest;
}

/**
 * The manifest location a command names: `--manifest`, else `BAKE_MANIFEST`, else the default file. A store URL may
 * carry a password: pass it to `openManifest`, print `manifest.path` (or `displayLocation`) instead.
 */
export function locationFor(values: OptionValues, io: CommandIO): string {
  const flag = typeof values.manifest === "string" ? values.manifest : undefined;
  return manifestPath({ flag, env: io.env, cwd: io.cwd });
}

/** Warns on stderr when the manifest ends in a torn line (a write a crash cut short); reading goes on without it. */
export function warnIfTorn(manifest: Manifest, io: CommandIO): void {
  const torn = manifest.tornTail();
  if (torn) {
    io.stderr.write(
      `warning: ${manifest.path} line ${torn.line} is torn (${torn.bytes} bytes without a newline, from a write a crash cut short); it is ignored, and the next write moves it to ${manifest.path}.torn\n`,
    );
  }
}

/** Prints a value as pretty JSON on stdout. */
export function writeJson(io: CommandIO, value: unknown): void {
  // Two writes: joining a large document and its newline would copy the whole text once more.
  io.stdout.write(JSON.stringify(value, null, 2));
  io.stdout.write("\n");
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
  const text = `${status.status}${status.reason ? `: ${status.reason}` : ""}`;
  return status.status === "revoked" ? style.red(text) : style.yellow(text);
}

/** `base#3 (3f2a9c1b7e4d)` for a record parent, `docker-archive:./base.tar = sha256:...` for an external base. */
export function parentText(manifest: Manifest, parent: ParentLink): string {
  if ("external" in parent) return `${parent.external.ref} = ${parent.external.id}`;
  const record = manifest.get(parent.record);
  return record ? describeWithId(record) : `${parent.record} (not in this manifest)`;
}
