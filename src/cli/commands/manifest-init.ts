import { parseLocation } from "../../manifest/location.js";
import { openLineStore } from "../../manifest/store/open.js";
import type { PostgresStore } from "../../manifest/store/postgres-store.js";
import type { CommandRun } from "../io.js";
import { locationFor, writeJson } from "../manifest-support.js";

/**
 * `bake manifest init [--manifest LOCATION]`: creates a PostgreSQL store's schema or migrates it to this bake's
 * version (the only way bake ever migrates one). Git branches and files need nothing: their first record creates
 * them; init only checks that they can be read.
 */
export const run: CommandRun = async ({ values }, io) => {
  const location = locationFor(values, io);
  const kind = parseLocation(location, io.cwd).kind;
  const store = await openLineStore(location, { env: io.env, cwd: io.cwd });
  try {
    if (kind === "postgres") {
      const { from, to } = await (store as PostgresStore).init();
      const what =
        from === 0
          ? `created schema version ${to}`
          : from === to
            ? `already at schema version ${to}`
            : `migrated from schema version ${from} to ${to}`;
      if (values.json === true) writeJson(io, { manifest: store.display, kind, from, to });
      else io.stdout.write(`${store.display}: ${what}\n`);
      return 0;
    }
    const { tip } = await store.read(0);
    const what = tip.count === 0 ? "empty; the first record creates it" : `holds ${tip.count} lines`;
    if (values.json === true) writeJson(io, { manifest: store.display, kind, lines: tip.count });
    else io.stdout.write(`${store.display}: nothing to set up for a ${kind} store (${what})\n`);
    return 0;
  } finally {
    await store.close();
  }
};
