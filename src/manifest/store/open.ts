import type { Manifest, OpenOptions } from "../api.js";
import { parseLocation } from "../location.js";
import { FileStore } from "./file-store.js";
import { GitStore } from "./git-store.js";
import type { LineStore } from "./line-store.js";
import { StoreManifest } from "./store-manifest.js";

/** Options for {@link openLineStore}. */
export interface StoreOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

/** The line store at a location: a file, a git branch or PostgreSQL (whose client is loaded only when needed). */
export async function openLineStore(location: string, options: StoreOptions = {}): Promise<LineStore> {
  const parsed = parseLocation(location, options.cwd);
  switch (parsed.kind) {
    case "file":
      return new FileStore(parsed.path);
    case "git":
      return new GitStore({
        remote: parsed.remote,
        branch: parsed.branch,
        display: parsed.display,
        env: options.env ?? process.env,
      });
    case "postgres": {
      const { PostgresStore } = await import("./postgres-store.js");
      return new PostgresStore({ url: parsed.url, schema: parsed.schema, display: parsed.display });
    }
  }
}

/** Opens a manifest kept in a git or PostgreSQL store. */
export async function openStoreManifest(location: string, options: OpenOptions = {}): Promise<Manifest> {
  const store = await openLineStore(location, { env: options.env ?? process.env });
  try {
    return await StoreManifest.open(store, options);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
