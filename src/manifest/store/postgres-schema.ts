import type { PoolClient } from "pg";

/** The schema version this bake reads and writes. */
export const PG_SCHEMA_VERSION = 2;

/**
 * Versioned migrations, applied in order by `bake manifest init` only (never as a side effect of a read or a
 * build). `{s}` stands for the quoted schema name.
 */
const MIGRATIONS: { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
      "CREATE TABLE {s}.bake_store (key text PRIMARY KEY, value text NOT NULL)",
      // One row per manifest line; seq 0 is the header. Unique seq and unique prev keep the chain linear: two
      // writers that composed on the same tip cannot both commit.
      `CREATE TABLE {s}.lines (
        seq bigint PRIMARY KEY CHECK (seq >= 0),
        line text NOT NULL CHECK (position(E'\\n' in line) = 0),
        id text UNIQUE,
        prev text UNIQUE,
        kind text,
        lineage text,
        build integer,
        cache_key text,
        driver text,
        written_at timestamptz NOT NULL DEFAULT now(),
        CHECK (seq = 0 OR (id IS NOT NULL AND prev IS NOT NULL))
      )`,
      "CREATE UNIQUE INDEX lines_build ON {s}.lines (lineage, build) WHERE build IS NOT NULL",
      "CREATE INDEX lines_layer ON {s}.lines (cache_key, driver) WHERE cache_key IS NOT NULL",
    ],
  },
  {
    version: 2,
    statements: [
      // Append-only in the database itself: an UPDATE or DELETE of a line is refused, whoever sends it.
      `CREATE FUNCTION {s}.bake_lines_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'bake lineage lines are append-only'; END $$`,
      `CREATE TRIGGER lines_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {s}.lines
        FOR EACH STATEMENT EXECUTE FUNCTION {s}.bake_lines_append_only()`,
      "CREATE INDEX lines_lineage ON {s}.lines (lineage, seq)",
    ],
  },
];

/** `"schema"`, for statements. The name was checked to be [a-z_][a-z0-9_]* when the location was parsed. */
export function quoted(schema: string): string {
  return `"${schema}"`;
}

/** The schema version the store has, or undefined when bake's tables are not there. */
export async function schemaVersion(client: PoolClient, schema: string): Promise<number | undefined> {
  const exists = await client.query("SELECT to_regclass($1) AS table", [`${quoted(schema)}.bake_store`]);
  if (exists.rows[0]?.table === null) return undefined;
  const row = await client.query(
    `SELECT value FROM ${quoted(schema)}.bake_store WHERE key = 'schema_version'`,
  );
  return row.rows.length === 0 ? 0 : Number(row.rows[0].value);
}

/**
 * Creates the schema if needed and applies the migrations it lacks, up to `to`, in one transaction under an
 * advisory lock (two `init`s at once wait for each other). Returns the versions before and after.
 */
export async function migrate(
  client: PoolClient,
  schema: string,
  to: number = PG_SCHEMA_VERSION,
): Promise<{ from: number; to: number }> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`bake-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted(schema)}`);
    const from = (await schemaVersion(client, schema)) ?? 0;
    for (const migration of MIGRATIONS) {
      if (migration.version <= from || migration.version > to) continue;
      for (const statement of migration.statements) {
        await client.query(statement.replaceAll("{s}", quoted(schema)));
      }
    }
    const reached = Math.max(from, Math.min(to, PG_SCHEMA_VERSION));
    await client.query(
      `INSERT INTO ${quoted(schema)}.bake_store (key, value) VALUES ('schema_version', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [String(reached)],
    );
    await client.query("COMMIT");
    return { from, to: reached };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
