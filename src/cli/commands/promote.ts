import { describeRecord, describeWithId } from "../../manifest/describe.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import { openForCommand, writeJson } from "../manifest-support.js";
import { resolveRef } from "../resolve-ref.js";

/** `bake promote REF CHANNEL`: points `LINEAGE@CHANNEL` at an image. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const manifest = await openForCommand(values, io, { mustExist: true });
  const record = resolveRef(manifest, positionals[0] as string);
  const channel = positionals[1] as string;
  const previousId = manifest
    .history({ lineage: record.lineage })[0]
    ?.entries.find((entry) => entry.channels.includes(channel))?.id;
  const event = await manifest.appendEvent({ event: "promote", target: record.id, channel });
  if (values.json === true) {
    writeJson(io, { manifest: manifest.path, event, previous: previousId ?? null });
    return 0;
  }
  const previous = previousId ? manifest.get(previousId) : undefined;
  const was = previous
    ? previous.id === record.id
      ? " (it already was)"
      : ` (was ${describeRecord(previous)})`
    : "";
  io.stdout.write(
    `promoted ${describeWithId(record)} to ${printable(`${record.lineage}@${channel}`)}${was}\n`,
  );
  return 0;
};
