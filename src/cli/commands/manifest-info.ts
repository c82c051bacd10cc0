import { parseLocation } from "../../manifest/location.js";
import { openManifest } from "../../manifest/manifest.js";
import { openLineStore } from "../../manifest/store/open.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import { locationFor, writeJson } from "../manifest-support.js";

/** `bake manifest info [--json]`: where the lineage lives, which kind of store it is and how much it holds. */
export const run: CommandRun = async ({ values }, io) => {
  const location = locationFor(values, io);
  const kind = parseLocation(location, io.cwd).kind;
  const manifest = await openManifest(location, { env: io.env, mustExist: false, lazy: true });
  const store = await openLineStore(location, { env: io.env, cwd: io.cwd });
  let details: Record<string, string | number>;
  try {
    details = await store.describe();
  } finally {
    await store.close();
  }
  const records = manifest.records();
  const info = {
    manifest: manifest.path,
    kind,
    format: manifest.header()?.format ?? null,
    records: records.length,
    images: records.filter((record) => record.kind === "image").length,
    layers: records.filter((record) => record.kind === "layer").length,
    events: manifest.events().length,
    lineages: new Set(records.map((record) => record.lineage)).size,
    store: details,
  };
  if (values.json === true) {
    writeJson(io, info);
    return 0;
  }
  const rows: [string, string][] = [
    ["location", info.manifest],
    ["store", kind],
    ["format", info.format ?? "(empty)"],
    [
      "records",
      `${info.records} (${info.images} images, ${info.layers} layers) in ${info.lineages} lineages`,
    ],
    ["events", String(info.events)],
    ...Object.entries(details).map(([key, value]): [string, string] => [key, String(value)]),
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  for (const [key, value] of rows) io.stdout.write(`${key.padEnd(width)}  ${printable(value)}\n`);
  return 0;
};
