import { BakeError, ExitCode } from "../../errors.js";
import { matchesBounds, parsePackageQuery } from "../../inventory/range.js";
import { shortId } from "../../manifest/hash.js";
import type { Manifest } from "../../manifest/manifest.js";
import type { ImageRecord } from "../../manifest/types.js";
import type { CommandRun } from "../io.js";
import {
  integrityJson,
  openForCommand,
  safe,
  statusText,
  stdoutStyle,
  warnAboutManifest,
  writeJson,
} from "../manifest-support.js";
import { PackageIndex } from "../package-index.js";

/** One image holding a matching package. */
interface PackageMatch {
  record: string;
  lineage: string;
  build?: number;
  version: string;
  status: string;
  package: { ecosystem: string; name: string; version: string; arch?: string };
  /** Servers whose newest observation is this image. */
  servers: string[];
}

/**
 * `bake query package NAME[@RANGE] [--json] [--active-only]`: the images whose inventory holds the package (in a
 * version within the range, by its ecosystem's ordering) and the servers seen running them (their newest
 * `observe` event, as `bake fleet` records). Exits 1 when a server runs a matching image, so CI can gate on
 * "nothing live runs openssl <3.0.13". `--active-only` leaves out deprecated and revoked images, and so their
 * servers.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const [what, spec] = positionals;
  if (what !== "package" || spec === undefined) {
    throw new BakeError({
      code: "bad-query",
      message:
        what === "package" ? "give a package: bake query package NAME[@RANGE]" : `unknown query "${what}"`,
      hint: "bake query package openssl@<3.0.13",
    });
  }
  const query = parsePackageQuery(spec);
  const manifest = await openForCommand(values, io, { mustExist: true });
  const integrity = warnAboutManifest(manifest, io);
  const activeOnly = values["active-only"] === true;
  const matches: PackageMatch[] = [];
  const uninventoried: string[] = [];
  const index = PackageIndex.open(manifest);
  for (const record of manifest.records()) {
    if (record.kind !== "image") continue;
    const status = manifest.status(record.id).status;
    if (activeOnly && status !== "active") continue;
    const packages = await index.named(record, query.name);
    if (!packages) {
      uninventoried.push(record.id);
      continue;
    }
    for (const pkg of packages) {
      if (!matchesBounds(pkg.ecosystem, pkg.version, query.bounds)) continue;
      matches.push({
        record: record.id,
        lineage: record.lineage,
        ...(record.build === undefined ? {} : { build: record.build }),
        version: record.version,
        status,
        package: {
          ecosystem: pkg.ecosystem,
          name: pkg.name,
          version: pkg.version,
          ...(pkg.arch ? { arch: pkg.arch } : {}),
        },
        servers: runningServers(manifest, record),
      });
    }
  }
  index.save();
  // Any status counts: a server still on a deprecated or revoked image runs the package all the same (retain
  // deprecates the old image as soon as the fixed one is built, before the servers have moved to it).
  const live = matches.some((match) => match.servers.length > 0);
  const code = live ? ExitCode.Failed : ExitCode.Ok;
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      ...integrityJson(integrity),
      query: spec,
      matches,
      uninventoried,
      live,
    });
    return code;
  }
  const style = stdoutStyle(io, values);
  const out: string[] = [];
  for (const match of safe(matches)) {
    const status = statusText({ status: match.status }, style);
    out.push(
      `${style.bold(`${match.lineage}#${match.build ?? 0}`)} (${shortId(match.record)}) ${match.version}  ${match.package.name} ${style.cyan(match.package.version)}${match.package.arch ? ` [${match.package.arch}]` : ""}${status ? `  ${status}` : ""}`,
    );
    for (const server of match.servers) out.push(`  running on ${style.yellow(server)}`);
  }
  if (matches.length === 0) out.push(`no image holds ${safe(spec)}`);
  if (uninventoried.length > 0)
    out.push(style.dim(`${uninventoried.length} image(s) have no inventory and were not searched`));
  io.stdout.write(`${out.join("\n")}\n`);
  return code;
};

// A server counts for an image only while its newest observation names it.
function runningServers(manifest: Manifest, record: ImageRecord): string[] {
  return manifest
    .observations(record.id)
    .filter((observation) => manifest.server(observation.server)?.target === record.id)
    .map((observation) => observation.server)
    .sort();
}
