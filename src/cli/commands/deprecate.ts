import { BakeError } from "../../errors.js";
import { describeRecord, describeWithId } from "../../manifest/describe.js";
import type { Manifest } from "../../manifest/manifest.js";
import type { ImageRecord } from "../../manifest/types.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import { openForCommand, writeJson } from "../manifest-support.js";

/**
 * `bake deprecate REF [--reason TEXT]`: marks an image deprecated. It still resolves by exact reference and stays
 * usable, but `LINEAGE` alone no longer picks it and every listing says why.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const given = typeof values.reason === "string" ? values.reason.trim() : undefined;
  if (given === "") {
    throw new BakeError({
      code: "usage",
      message: "deprecate: --reason is empty",
      hint: 'say why, or leave --reason out to record which image superseded it: bake deprecate web#11 --reason "superseded by web#12"',
    });
  }
  const manifest = await openForCommand(values, io, { mustExist: true });
  const record = manifest.resolve(positionals[0] as string);
  const reason = given ?? supersededBy(manifest, record);
  const event = await manifest.appendEvent({ event: "deprecate", target: record.id, reason });
  if (values.json === true) {
    writeJson(io, { manifest: manifest.path, event });
    return 0;
  }
  io.stdout.write(`deprecated ${describeWithId(record)}: ${printable(reason)}\n`);
  return 0;
};

// The default reason: the newest active image of the lineage built after this one. Without one there is nothing to
// say on the user's behalf, so a reason is required.
function supersededBy(manifest: Manifest, record: ImageRecord): string {
  const newer = manifest
    .history({ lineage: record.lineage })[0]
    ?.entries.find(
      (entry) =>
        entry.kind === "image" && entry.status === "active" && (entry.build ?? 0) > (record.build ?? 0),
    );
  const image = newer ? manifest.get(newer.id) : undefined;
  if (image) return `superseded by ${describeRecord(image)}`;
  throw new BakeError({
    code: "usage",
    message: `deprecate: ${describeWithId(record)} is the newest active image of ${printable(record.lineage)}, so give --reason`,
    hint: `bake deprecate ${describeRecord(record)} --reason "..."`,
  });
}
