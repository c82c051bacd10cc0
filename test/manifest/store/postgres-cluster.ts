import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where Debian's postgresql package puts initdb and pg_ctl. */
const PG_BIN = process.env.BAKE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** The superuser's password in test clusters: TCP logins need it, so tests can check it never shows. */
export const TEST_PG_PASSWORD = "s3cret-never-printed";

/** A throwaway PostgreSQL cluster on 127.0.0.1 (password logins over TCP), for one test file. */
export interface TestCluster {
  /** `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** A URL for a fresh database with this name (created on the spot). */
  database(name: string): Promise<string>;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** Starts a cluster in a temp dir (initdb runs as the `postgres` user when we are root, as it must). */
export async function startCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "bake-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (file: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(PG_BIN, file), ...args], { stdio: "pipe" })
      : execFileSync(join(PG_BIN, file), args, { stdio: "pipe" });
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${TEST_PG_PASSWORD}\n`);
  if (asRoot) chownSync(pwfile, Number(execFileSync("id", ["-u", "postgres"]).toString()), 0);
  run("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    `--pwfile=${pwfile}`,
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => {
    if (existsSync(join(data, "postmaster.pid")))
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
  };
  start();
  const url = `postgres://postgres:${TEST_PG_PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async database(name: string) {
      const pg = (await import("pg")).default;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres:${TEST_PG_PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    destroy() {
      try {
        stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
