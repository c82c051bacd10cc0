import pg from "pg";
import { BakeError } from "../../errors.js";
import type { LineStore, StoreAppend, StoreRead, StoreTip } from "./line-store.js";
import { migrate, PG_SCHEMA_VERSION, quoted, schemaVersion } from "./postgres-schema.js";

/** Options for {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** The connection URL (may carry a password and `sslmode`); `PG*` variables fill in what it leaves out. */
  url: string;
  schema: string;
  /** The URL without its password. */
  display: string;
  /** Per-statement limit. @default 15000 */
  statementTimeoutMs?: number;
  /** Connections kept. @default 4 */
  poolSize?: number;
}

const UNIQUE_VIOLATION = "23505";

/**
 * A lineage in PostgreSQL: one row per line in `<schema>.lines`. An append is one transaction that inserts rows at
 * the expected positions; the primary key on `seq` and the unique `prev` make a racing writer's insert fail, which
 * is the compare-and-swap. Reads ask for rows from a known position only.
 */
export class PostgresStore implements LineStore {
  readonly kind = "postgres";
  readonly display: string;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private checked = false;

  constructor(private readonly options: PostgresStoreOptions) {
    this.display = options.display;
    this.table = `${quoted(options.schema)}.lines`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 5_000,
      allowExitOnIdle: true,
      application_name: "bake",
    });
    // An idle connection dropped by the server (a restart, say) must not crash the process; the next query
    // reconnects or fails with a clear error.
    this.pool.on("error", () => undefined);
  }

  /** Creates the schema or migrates it to this bake's version. */
  async init(): Promise<{ from: number; to: number }> {
    return this.withClient((client) => migrate(client, this.options.schema));
  }

  async read(from: number): Promise<StoreRead> {
    return this.withClient(async (client) => {
      await this.checkSchema(client);
      const result = await client.query({
        text: `SELECT line FROM ${this.table} WHERE seq >= $1 ORDER BY seq`,
        values: [from],
        rowMode: "array",
      });
      const lines = result.rows.map((row) => row[0] as string);
      const count = from + lines.length;
      return { lines, tip: { count, token: String(count) } };
    });
  }

  async append(lines: readonly string[], expected: StoreTip): Promise<StoreAppend> {
    return this.withClient(async (client) => {
      await this.checkSchema(client);
      const rows = lines.map((line, index) => ({ seq: expected.count + index, ...columnsOf(line) }));
      await client.query("BEGIN");
      try {
        // A store that moved on since we read it: the same answer a racing insert would get, sooner.
        const top = await client.query(`SELECT coalesce(max(seq) + 1, 0) AS count FROM ${this.table}`);
        if (Number(top.rows[0].count) !== expected.count) {
          await client.query("ROLLBACK");
          return conflict(`the store holds ${top.rows[0].count} lines, not ${expected.count}`);
        }
        await client.query(
          `INSERT INTO ${this.table} (seq, line, id, prev, kind, lineage, build, cache_key, driver)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[])`,
          [
            rows.map((row) => row.seq),
            rows.map((row) => row.line),
            rows.map((row) => row.id),
            rows.map((row) => row.prev),
            rows.map((row) => row.kind),
            rows.map((row) => row.lineage),
            rows.map((row) => row.build),
            rows.map((row) => row.cacheKey),
            rows.map((row) => row.driver),
          ],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
          return conflict(`another writer appended first (${(error as { constraint?: string }).constraint})`);
        }
        throw error;
      }
      const count = expected.count + lines.length;
      return { ok: true, tip: { count, token: String(count) } };
    });
  }

  // The rows' transaction ids are the proof: PostgreSQL gives every new row version its writer's, so a row rewritten
  // by anyone (the trigger disabled, a restore) changes the sum. One scan of the table, on the server.
  async witness(tip: StoreTip): Promise<string> {
    return this.withClient(async (client) => {
      const result = await client.query(
        `SELECT count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text AS witness FROM ${this.table} WHERE seq < $1`,
        [tip.count],
      );
      return String(result.rows[0].witness);
    });
  }

  async stillHolds(witness: string, count: number): Promise<boolean> {
    return (await this.witness({ count, token: String(count) })) === witness;
  }

  async describe(): Promise<Record<string, string | number>> {
    return this.withClient(async (client) => {
      const version = await schemaVersion(client, this.options.schema);
      const server = await client.query("SHOW server_version");
      return {
        schema: this.options.schema,
        schemaVersion: version ?? 0,
        serverVersion: String(server.rows[0].server_version),
      };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // Refuses a store whose tables are missing or at another version: migrations run only through `bake manifest init`.
  private async checkSchema(client: pg.PoolClient): Promise<void> {
    if (this.checked) return;
    const version = await schemaVersion(client, this.options.schema);
    const init = `bake manifest init --manifest '${this.display}'`;
    if (version === undefined) {
      throw new BakeError({
        code: "store-schema-missing",
        message: `${this.display} has no bake lineage tables (schema "${this.options.schema}")`,
        hint: `create them once with \`${init}\` (as a role that may create a schema)`,
      });
    }
    if (version < PG_SCHEMA_VERSION) {
      throw new BakeError({
        code: "store-schema-old",
        message: `${this.display} has bake schema version ${version}; this bake needs version ${PG_SCHEMA_VERSION}`,
        hint: `migrate it with \`${init}\`; bake never migrates a store on its own`,
      });
    }
    if (version > PG_SCHEMA_VERSION) {
      throw new BakeError({
        code: "store-schema-new",
        message: `${this.display} has bake schema version ${version}, newer than this bake knows (${PG_SCHEMA_VERSION})`,
        hint: "upgrade bake",
      });
    }
    this.checked = true;
  }

  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error, this.display);
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (error) {
      broken = !(error instanceof BakeError);
      throw error instanceof BakeError ? error : storeError(error, this.display);
    } finally {
      client.release(broken);
    }
  }
}

function conflict(message: string): StoreAppend {
  return { ok: false, reason: "conflict", message };
}

// The indexed columns of a line; the line itself stays the only truth, these only make lookups cheap.
function columnsOf(line: string) {
  let entry: Record<string, unknown> = {};
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // Only well-formed lines reach a store; a header or anything odd simply gets no columns.
  }
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  const layer = entry.layer as { cacheKey?: unknown } | undefined;
  return {
    line,
    id: text(entry.id),
    prev: text(entry.prev),
    kind: text(entry.kind) ?? text(entry.event),
    lineage: text(entry.lineage),
    build: typeof entry.build === "number" && entry.type === "record" ? entry.build : null,
    cacheKey: text(layer?.cacheKey),
    driver: text(entry.driver),
  };
}

/** A one-line BakeError for what talking to PostgreSQL can go wrong with; never a stack trace, never the password. */
export function storeError(error: unknown, display: string): BakeError {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message ?? String(error);
  if (
    ["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET", "57P01", "57P03"].includes(
      code,
    ) ||
    /timeout|terminat|Connection/i.test(message)
  ) {
    return new BakeError({
      code: "store-unreachable",
      message: `cannot reach the lineage store ${display}: ${message}`,
      hint: "check that PostgreSQL is running and reachable from here (host, port, sslmode, firewall), then run the command again",
      cause: error,
    });
  }
  if (code === "28P01" || code === "28000") {
    return new BakeError({
      code: "store-auth-failed",
      message: `PostgreSQL refused the login to ${display}: ${message}`,
      hint: "check the user and the password (PGPASSWORD or ~/.pgpass) and pg_hba.conf",
      cause: error,
    });
  }
  if (code === "3D000") {
    return new BakeError({
      code: "store-unreachable",
      message: `${display}: ${message}`,
      hint: "create the database first (createdb), then run `bake manifest init`",
      cause: error,
    });
  }
  if (code === "42501") {
    return new BakeError({
      code: "store-permission",
      message: `${display}: ${message}`,
      hint: "grant this role USAGE on the schema and SELECT, INSERT on its tables (or run `bake manifest init` as the owner)",
      cause: error,
    });
  }
  return new BakeError({
    code: "store-failed",
    message: `the lineage store ${display} failed: ${message}${code ? ` (${code})` : ""}`,
    hint: "nothing was written; run the command again, and check the server's log if it keeps failing",
    cause: error,
  });
}
