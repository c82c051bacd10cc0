import { randomBytes } from "node:crypto";
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readdir, readFile, unlink } from "../../util/fs-async.js";
import { makeDirectories } from "../../util/make-directories.js";

/**
 * What a live process holds in a store: every image it resolved, baked on or made, and the time it started writing.
 * `bake gc` keeps all of it (and every blob newer than `since`) while the process lives, so a build stays whole from
 * its first write to its exit, between layers included, before the lineage manifest records anything.
 */
export interface LeaseFile {
  pid: number;
  /** The process's start time (clock ticks since boot), so a reused pid does not keep a dead lease alive. */
  start: string;
  /** When the lease was taken (ms since the epoch). */
  since: number;
  images: string[];
}

/** A lease this process holds on one store; released when the process exits, however it exits short of a kill. */
export class Lease {
  readonly path: string;
  readonly #root: string;
  readonly #state: LeaseFile;
  #writing: Promise<void> = Promise.resolve();

  private constructor(root: string, state: LeaseFile) {
    this.#root = root;
    this.#state = state;
    this.path = join(leaseDir(root), `${state.pid}-${state.start}.json`);
  }

  /** Takes (once per process and store) the lease of this process on the store at `root`. */
  static async take(root: string, start: string): Promise<Lease> {
    let lease = held.get(root);
    if (!lease) {
      lease = new Lease(root, { pid: process.pid, start, since: Date.now(), images: [] });
      held.set(root, lease);
      makeDirectories(leaseDir(root));
      await lease.#save();
      if (held.size === 1) process.once("exit", releaseAll);
    }
    return lease;
  }

  /** Adds an image to the lease; `bake gc` in another process will not remove it until this process is gone. */
  async hold(imageId: string): Promise<void> {
    if (this.#state.images.includes(imageId)) return this.#writing;
    this.#state.images.push(imageId);
    return this.#save();
  }

  // Saves are chained, so the file on disk never goes back to fewer images than were held before. A lease is a few
  // hundred bytes in bake's own store, written synchronously: asynchronously, each save was five trips through the
  // thread pool, and a build with nothing to do saves three times.
  #save(): Promise<void> {
    const next = this.#writing.then(() => {
      const temp = join(this.#root, "tmp", `lease-${process.pid}-${randomBytes(6).toString("hex")}`);
      writeFileSync(temp, JSON.stringify(this.#state));
      renameSync(temp, this.path);
    });
    this.#writing = next.catch(() => {});
    return next;
  }
}

const held = new Map<string, Lease>();

// Exit handlers must be synchronous.
function releaseAll(): void {
  for (const lease of held.values()) {
    try {
      unlinkSync(lease.path);
    } catch {
      // Already gone: gc removed it as stale, or the store was deleted.
    }
  }
  held.clear();
}

/** Where a store keeps the lease files of live processes. */
export function leaseDir(root: string): string {
  return join(root, "leases");
}

/** Every lease file in a store, parsed; unreadable ones are skipped (one being replaced right now reads again fine). */
export async function readLeases(root: string): Promise<(LeaseFile & { path: string })[]> {
  const out: (LeaseFile & { path: string })[] = [];
  for (const name of await readdir(leaseDir(root)).catch(() => [] as string[])) {
    if (!name.endsWith(".json")) continue;
    const path = join(leaseDir(root), name);
    try {
      const lease = JSON.parse(await readFile(path, "utf8")) as LeaseFile;
      if (Number.isInteger(lease.pid) && Array.isArray(lease.images)) out.push({ ...lease, path });
    } catch {
      // Renamed away or half-written by a killed process: a killed process's lease is stale anyway.
    }
  }
  return out;
}

/** Removes a stale lease file. */
export async function dropLease(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
