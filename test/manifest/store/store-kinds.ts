import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLineStore } from "../../../src/manifest/store/open.js";
import type { PostgresStore } from "../../../src/manifest/store/postgres-store.js";
import { bareRemote } from "./git-remote.js";
import type { TestCluster } from "./postgres-cluster.js";

/** A store kind the same tests run against. */
export interface StoreKind {
  name: "file" | "git" | "postgres";
  /** A fresh, empty (and, for PostgreSQL, initialised) lineage location. */
  fresh(): Promise<string>;
  /** Rewrites stored line `line` (1-based, as fsck counts) behind bake's back, as an attacker with write access would. */
  tamper(location: string, line: number, edit: (text: string) => string): Promise<void>;
}

let counter = 0;

/** The three kinds: a file, a bare git remote on disk, and a schema in the test cluster. */
export function storeKinds(cluster: () => TestCluster): StoreKind[] {
  return [
    {
      name: "file",
      fresh: async () => join(mkdtempSync(join(tmpdir(), "bake-store-file-")), "bake.lineage.jsonl"),
      tamper: async (location, line, edit) => {
        const { readFileSync, writeFileSync } = await import("node:fs");
        const lines = readFileSync(location, "utf8").split("\n");
        lines[line - 1] = edit(lines[line - 1] as string);
        writeFileSync(location, lines.join("\n"));
      },
    },
    {
      name: "git",
      fresh: async () => bareRemote().location,
      tamper: async (location, line, edit) => {
        // Rewrites the segment in a clone and force-pushes, as someone with push rights could.
        const repo = location.replace(/^git\+file:\/\//, "").replace(/#.*$/, "");
        const work = mkdtempSync(join(tmpdir(), "bake-tamper-"));
        const run = (args: string[]) => execFileSync("git", args, { cwd: work, stdio: "pipe" }).toString();
        run(["clone", "-q", "-b", "bake/lineage", repo, "."]);
        const { readFileSync, writeFileSync } = await import("node:fs");
        const segment = join(
          work,
          "lineage",
          `${String(Math.floor((line - 1) / 256)).padStart(6, "0")}.jsonl`,
        );
        const lines = readFileSync(segment, "utf8").split("\n");
        const index = (line - 1) % 256;
        lines[index] = edit(lines[index] as string);
        writeFileSync(segment, lines.join("\n"));
        run(["-c", "user.name=m", "-c", "user.email=m@x", "commit", "-qam", "tamper"]);
        run(["push", "-q", "origin", "bake/lineage"]);
      },
    },
    {
      name: "postgres",
      fresh: async () => {
        const schema = `s${process.pid}_${++counter}`;
        const location = `${cluster().url}?schema=${schema}`;
        const store = (await openLineStore(location)) as PostgresStore;
        await store.init();
        await store.close();
        return location;
      },
      tamper: async (location, line, edit) => {
        const schema = new URL(location).searchParams.get("schema") as string;
        const pg = (await import("pg")).default;
        const client = new pg.Client({ connectionString: cluster().url });
        await client.connect();
        try {
          // The trigger keeps bake's own roles from editing; a superuser can switch it off, so fsck must still tell.
          await client.query(`ALTER TABLE "${schema}".lines DISABLE TRIGGER lines_append_only`);
          const row = await client.query(`SELECT line FROM "${schema}".lines WHERE seq = $1`, [line - 1]);
          await client.query(`UPDATE "${schema}".lines SET line = $1 WHERE seq = $2`, [
            edit(row.rows[0].line),
            line - 1,
          ]);
          await client.query(`ALTER TABLE "${schema}".lines ENABLE TRIGGER lines_append_only`);
        } finally {
          await client.end();
        }
      },
    },
  ];
}
