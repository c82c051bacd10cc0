import { BakeError } from "../../errors.js";
import { describeRecord } from "../../manifest/describe.js";
import { shortId } from "../../manifest/hash.js";
import type { Manifest } from "../../manifest/manifest.js";
import type { ImageRecord, ImageStatus, Observation } from "../../manifest/types.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import {
  age,
  integrityJson,
  openForCommand,
  safe,
  statusText,
  stdoutStyle,
  warnAboutManifest,
  writeJson,
} from "../manifest-support.js";
import { lookUpRef, refNotFound } from "../resolve-ref.js";

/** One link of a trace: a record and its status. */
export interface TraceLink {
  record: ImageRecord;
  status: ImageStatus;
}

/** `bake trace REF|SERVER [--json]`: the chain from an image (or the image a server runs) down to its external base. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const manifest = await openForCommand(values, io, { mustExist: true });
  const integrity = warnAboutManifest(manifest, io);
  if (values.target === "gce") {
    // A live lookup: record what the instance runs now, then trace from that observation.
    const gce = await import("../gce-commands.js");
    await gce.observeGceServer(manifest, positionals[0] as string, io);
  }
  const start = findStart(manifest, positionals[0] as string);
  const ancestry = manifest.ancestry(start.record.id);
  const chain: TraceLink[] = ancestry.chain.map((record) => ({ record, status: manifest.status(record.id) }));
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      ...integrityJson(integrity),
      ...(start.server ? { server: start.server } : {}),
      chain: chain.map(({ record, status }) => ({
        ...record,
        status,
        publications: manifest.publications(record.id),
      })),
      ...(ancestry.base ? { base: ancestry.base } : {}),
    });
    return 0;
  }
  const style = stdoutStyle(io, values);
  const out: string[] = [];
  if (start.server) {
    out.push(
      `server ${style.bold(printable(start.server.server))} runs ${describeRecord(start.record)} (seen ${age(start.server.at)})`,
    );
  }
  // Everything shown comes from a shared file: escaped, so a hostile value cannot drive the terminal.
  safe(chain).forEach(({ record, status }, depth) => {
    const indent = "   ".repeat(depth);
    const channels = status.channels.length > 0 ? style.green(` [${status.channels.join(", ")}]`) : "";
    const state = statusText(status, style);
    out.push(
      `${indent}${depth > 0 ? "└─ " : ""}${style.bold(describeRecord(record))}  ${record.version}  ${style.cyan(shortId(record.id))}  ${record.driver} ${record.artifact}${channels}${state ? `  ${state}` : ""}`,
    );
    for (const pushed of manifest.publications(record.id)) {
      out.push(
        `${indent}${depth > 0 ? "   " : ""}   published: ${printable(pushed.destination)} as ${shortId(pushed.digest)}`,
      );
    }
    const layers = record.layers ?? [];
    if (layers.length > 0) {
      out.push(
        `${indent}${depth > 0 ? "   " : ""}   layers: ${layers.map((l) => `${l.name} ${shortId(l.record)}`).join(", ")}`,
      );
    }
  });
  const bottom = "   ".repeat(chain.length);
  if (ancestry.base) {
    out.push(`${bottom}└─ external base ${style.bold(printable(ancestry.base.ref))}`);
    out.push(`${bottom}     resolved to ${printable(ancestry.base.id)}`);
  } else {
    const last = chain[chain.length - 1]?.record;
    const missing = last && "record" in last.parent ? printable(last.parent.record) : "?";
    out.push(`${bottom}└─ ${style.red(`parent ${missing} is missing from this manifest`)}`);
  }
  io.stdout.write(`${out.join("\n")}\n`);
  return 0;
};

/** Where a trace starts: an image reference, or else a server the manifest has seen running an image. */
export function findStart(manifest: Manifest, ref: string): { record: ImageRecord; server?: Observation } {
  const lookup = lookUpRef(manifest, ref);
  if (lookup.record) return { record: lookup.record };
  const seen = manifest.server(ref);
  if (!seen) {
    // The server is the last thing tried: the error keeps every step before it.
    lookup.tried.push(`a server of that name observed in ${manifest.path}: none`);
    throw refNotFound(lookup);
  }
  const record = manifest.get(seen.target);
  if (!record)
    throw new BakeError({
      code: "ref-not-found",
      message: `server ${printable(ref)} runs ${printable(seen.target)}, which is not in ${manifest.path}`,
    });
  return { record, server: seen };
}
