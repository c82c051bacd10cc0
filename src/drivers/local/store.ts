import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { BakeError } from "../../errors.js";
import {
  access,
  closeFile,
  openFile,
  readFile,
  readInto,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  writeFile,
  writeFileDurably,
} from "../../util/fs-async.js";
import { makeDirectories, makeDirectoriesAsync } from "../../util/make-directories.js";
import { currentIdMapping, type IdMapping } from "./idmap.js";
import { Lease } from "./lease.js";
import {
  type Descriptor,
  digestHex,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  MEDIA,
  OCI_LAYOUT_FILE,
} from "./oci.js";

/** A manifest and its config, read from the store. */
export interface StoredImage {
  id: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

/** A blob being written: bytes go to `stream`, then `commit()` names the file by its digest. */
export interface BlobWriter {
  stream: Writable;
  commit(): Promise<{ digest: string; size: number }>;
  abort(): Promise<void>;
}

/** What an index entry says about who added it, for `bake gc`. */
export const INDEX_ANNOTATIONS = {
  run: "dev.bake.run",
  kind: "dev.bake.kind",
  ref: "dev.bake.ref",
} as const;

/**
 * The local image store: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/`) plus unpacked layer
 * directories used as overlay lowers, cached per id mapping. Every write is a temp file renamed into place.
 */
export class Store {
  readonly root: string;
  readonly mapping: IdMapping;
  #lease: Lease | undefined;

  private constructor(root: string) {
    this.root = root;
    this.mapping = currentIdMapping();
  }

  /**
   * Opens (and creates) a store directory. With `lease`, this process takes a lease on the store before it writes
   * anything, so `bake gc` in another process keeps what it writes and uses until it exits.
   */
  static async open(root: string, options: { lease?: boolean } = {}): Promise<Store> {
    const store = new Store(root);
    // Synchronous: making directories that are almost always there already, once per process and store.
    try {
      makeDirectories(join(root, "blobs", "sha256"));
      makeDirectories(join(root, "tmp"));
    } catch (error) {
      throw new BakeError({
        code: "directory-uncreatable",
        message: `cannot create the local store at ${root}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        hint: "set BAKE_STORE to a directory bake can create and write to (or run from one: the default is ./.bake)",
      });
    }
    if (options.lease) store.#lease = await Lease.take(root, processStartTime(process.pid) ?? "");
    const layout = join(root, "oci-layout");
    if (!existsSync(layout)) await atomicWrite(store, layout, OCI_LAYOUT_FILE);
    return store;
  }

  /** Keeps an image (and everything it uses) from `bake gc` in other processes while this process lives. */
  async hold(imageId: string): Promise<void> {
    await this.#lease?.hold(imageId);
  }

  blobPath(digest: string): string {
    return join(this.root, "blobs", "sha256", digestHex(digest));
  }

  async hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  /** Stores bytes under their digest. */
  async writeBlob(bytes: Buffer | string): Promise<{ digest: string; size: number }> {
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
    const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
    const path = this.blobPath(digest);
    // A blob reused from an earlier run becomes as new as a fresh one: gc spares blobs newer than a live lease.
    if (!(await touch(path))) await atomicWrite(this, path, data);
    return { digest, size: data.length };
  }

  /** Stores a JSON document as a blob (keys in the order the object has them). */
  async writeJsonBlob(value: unknown, mediaType: string): Promise<Descriptor> {
    const { digest, size } = await this.writeBlob(JSON.stringify(value));
    return { mediaType, digest, size };
  }

  /** Streams a blob into the store. */
  blobWriter(): BlobWriter {
    const temp = this.tempPath("blob");
    const file = createWriteStream(temp);
    const hash = createHash("sha256");
    let size = 0;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        file.write(chunk, callback);
      },
      final(callback) {
        file.end(callback);
      },
    });
    return {
      stream,
      commit: async () => {
        const digest = `sha256:${hash.digest("hex")}`;
        await rename(temp, this.blobPath(digest));
        return { digest, size };
      },
      abort: async () => {
        file.destroy();
        await rm(temp, { force: true });
      },
    };
  }

  async readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /** The first bytes of a blob (to sniff compression). */
  async readBlobHead(digest: string, bytes: number): Promise<Buffer> {
    const fd = await openFile(this.blobPath(digest), "r");
    try {
      const head = Buffer.alloc(bytes);
      const { bytesRead } = await readInto(fd, head, 0, bytes, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await closeFile(fd);
    }
  }

  /**
   * A manifest and config, or undefined when the manifest is not in the store. Both are small JSON files of bake's
   * own store, read synchronously: each asynchronous read is four trips through the thread pool (open, stat, read,
   * close), and a build with nothing to do looks up two images this way.
   */
  async image(id: string): Promise<StoredImage | undefined> {
    let manifest: ImageManifest;
    try {
      manifest = JSON.parse(readFileSync(this.blobPath(id), "utf8")) as ImageManifest;
    } catch {
      return undefined;
    }
    if (!manifest.config || !Array.isArray(manifest.layers)) return undefined;
    let config: ImageConfig;
    try {
      config = JSON.parse(readFileSync(this.blobPath(manifest.config.digest), "utf8")) as ImageConfig;
    } catch {
      return undefined;
    }
    for (const layer of manifest.layers) if (!(await this.hasBlob(layer.digest))) return undefined;
    return { id, manifest, config };
  }

  /** Like {@link image}, but a missing image is a clear error. */
  async requireImage(id: string): Promise<StoredImage> {
    const image = await this.image(id);
    if (!image) {
      throw new BakeError({
        code: "image-missing",
        message: `image ${id} is not in the local store ${this.root}`,
        hint: "build it again (bake build --no-cache), or point BAKE_STORE at the store that holds it",
      });
    }
    return image;
  }

  /** Writes an image manifest and adds it to `index.json`. */
  async addImage(input: {
    manifest: ImageManifest;
    runId: string;
    kind: "base" | "layer";
    ref?: string;
  }): Promise<string> {
    const { manifest, ...rest } = input;
    return this.addManifestBytes({
      ...rest,
      bytes: Buffer.from(JSON.stringify(manifest)),
      mediaType: MEDIA.manifest,
    });
  }

  /**
   * Adds a manifest as these exact bytes (a pulled manifest keeps its registry digest) and lists it in
   * `index.json` with its media type. Its config and layers must be in the store already.
   */
  async addManifestBytes(input: {
    bytes: Buffer;
    mediaType: string;
    runId: string;
    kind: "base" | "layer";
    ref?: string;
  }): Promise<string> {
    // Held before it is written, so gc (under the lock, reading leases) never sees the entry without the hold.
    await this.hold(`sha256:${createHash("sha256").update(input.bytes).digest("hex")}`);
    const { digest, size } = await this.writeBlob(input.bytes);
    const descriptor: Descriptor = { mediaType: input.mediaType, digest, size };
    const annotations: Record<string, string> = {
      [INDEX_ANNOTATIONS.run]: input.runId,
      [INDEX_ANNOTATIONS.kind]: input.kind,
      ...(input.ref ? { [INDEX_ANNOTATIONS.ref]: input.ref } : {}),
    };
    await this.updateIndex((index) => {
      if (index.manifests.some((entry) => entry.digest === descriptor.digest)) return index;
      return { ...index, manifests: [...index.manifests, { ...descriptor, annotations }] };
    });
    return descriptor.digest;
  }

  /** Moves a file whose bytes the caller checked against `digest` into the blobs; a blob already there stays. */
  async adoptBlob(path: string, digest: string): Promise<void> {
    if (await touch(this.blobPath(digest))) return;
    await rename(path, this.blobPath(digest));
  }

  async readIndex(): Promise<ImageIndex> {
    try {
      return JSON.parse(await readFile(join(this.root, "index.json"), "utf8")) as ImageIndex;
    } catch {
      return { schemaVersion: 2, mediaType: MEDIA.index, manifests: [] };
    }
  }

  /** Changes `index.json` under the store lock. */
  async updateIndex(change: (index: ImageIndex) => ImageIndex): Promise<void> {
    await this.withLock(async () => {
      const before = await this.readIndex();
      const after = change(before);
      if (after !== before)
        await atomicWrite(this, join(this.root, "index.json"), `${JSON.stringify(after, null, 2)}\n`);
    });
  }

  /** Replaces `index.json`; the caller holds the lock ({@link withLock}). */
  async writeIndexUnlocked(index: ImageIndex): Promise<void> {
    await atomicWrite(this, join(this.root, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
  }

  /** Runs `action` holding the store's lock file (stale locks of dead processes are taken over). */
  async withLock<T>(action: () => Promise<T>): Promise<T> {
    const lock = join(this.root, "store.lock");
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await writeFile(lock, String(process.pid), { flag: "wx" });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const owner = Number(await readFile(lock, "utf8").catch(() => "0"));
        // An empty lock file older than a few seconds was left by a process killed between create and write.
        const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
        if ((owner > 0 && !processAlive(owner)) || (!(owner > 0) && age > 5_000)) {
          await unlink(lock).catch(() => {});
          continue;
        }
        if (Date.now() > deadline) {
          throw new BakeError({
            code: "store-locked",
            message: `the store ${this.root} is locked by process ${owner}`,
            hint: `wait for it, or remove ${lock} if that process is gone`,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    try {
      return await action();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }

  /** A value stored under `key` by {@link remember} (resolution shortcuts), or undefined. */
  async recalled(key: string): Promise<string | undefined> {
    try {
      // Small (the newest 200 keys), and read on every build with a dir: or archive base: synchronously, as image().
      const memo = JSON.parse(readFileSync(join(this.root, "memo.json"), "utf8")) as Record<string, string>;
      return memo[key];
    } catch {
      return undefined;
    }
  }

  /** Remembers a value (kept small: the newest 200 keys). */
  async remember(key: string, value: string): Promise<void> {
    await this.withLock(async () => {
      let memo: Record<string, string> = {};
      try {
        memo = JSON.parse(await readFile(join(this.root, "memo.json"), "utf8")) as Record<string, string>;
      } catch {
        // A missing or broken memo only costs a re-import.
      }
      delete memo[key];
      memo[key] = value;
      const entries = Object.entries(memo).slice(-200);
      await atomicWrite(this, join(this.root, "memo.json"), JSON.stringify(Object.fromEntries(entries)));
    });
  }

  /** Where the unpacked layer with this diff id lives for the current id mapping. */
  layerDir(diffId: string): string {
    return join(this.root, "layers", this.mapping.key, digestHex(diffId));
  }

  /** The unpacked layer directories of an image, top first, unpacking any not cached yet. */
  async unpackedLayers(image: StoredImage): Promise<string[]> {
    const dirs: string[] = [];
    for (const [index, layer] of image.manifest.layers.entries()) {
      const diffId = image.config.rootfs.diff_ids[index];
      if (!diffId)
        throw new BakeError({ code: "image-corrupt", message: `image ${image.id} lacks diff id ${index}` });
      const dir = this.layerDir(diffId);
      if (!(await exists(dir))) {
        // Loaded when a layer is first unpacked: inspecting and importing never do (a no-change build stays light).
        const [{ unpackLayer }, { removeTree }] = await Promise.all([
          import("./unpack.js"),
          import("./remove.js"),
        ]);
        const temp = this.tempPath("unpack");
        try {
          const { opaque } = await unpackLayer({
            blob: this.blobPath(layer.digest),
            dir: temp,
            mapping: this.mapping,
          });
          await this.adoptLayerDir(diffId, temp, opaque);
        } finally {
          await removeTree(temp, this.mapping);
        }
      }
      dirs.push(dir);
    }
    return dirs.reverse();
  }

  /**
   * Moves a finished layer directory (a sandbox's upper dir) into the cache; a concurrent twin wins quietly.
   * Its opaque directories go to a sidecar file first, since Node cannot read the overlay xattrs.
   */
  async adoptLayerDir(diffId: string, dir: string, opaque: readonly string[]): Promise<void> {
    const target = this.layerDir(diffId);
    await makeDirectoriesAsync(join(this.root, "layers", this.mapping.key));
    if (await exists(target)) return;
    await atomicWrite(this, opaqueSidecar(target), JSON.stringify(opaque));
    try {
      await rename(dir, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    }
  }

  /** A fresh path under the store's temp dir (same filesystem as blobs and layers). */
  tempPath(kind: string): string {
    return join(this.root, "tmp", `${kind}-${process.pid}-${randomBytes(6).toString("hex")}`);
  }

  /** The scratch directory of one run; it holds a pid file so `bake gc` can tell live runs from dead ones. */
  async runDir(runId: string): Promise<string> {
    const dir = join(this.root, "runs", safeName(runId));
    await makeDirectoriesAsync(dir);
    await writeFile(join(dir, "pid"), `${process.pid} ${processStartTime(process.pid) ?? ""}\n`);
    return dir;
  }
}

/** Where the list of a layer directory's opaque directories is kept (beside it, never inside the image). */
export function opaqueSidecar(layerDir: string): string {
  return `${layerDir}.opaque.json`;
}

/**
 * Whether a process with this pid exists and has not exited. A zombie (exited, not yet reaped by its parent, as a
 * bake killed with SIGKILL is until its parent waits for it) holds nothing, so it counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return procStat(pid)?.state !== "Z";
}

/**
 * The start time of a live process in clock ticks since boot (guards against pid reuse), or undefined when there is
 * no such process or it is a zombie.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat && stat.state !== "Z" ? stat.start : undefined;
}

// /proc/PID/stat: the fields after the command name (in parentheses, and free to hold spaces) start with the state.
function procStat(pid: number): { state: string; start: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", start: fields[19] };
  } catch {
    return undefined;
  }
}

function safeName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100) || "run";
}

async function touch(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function atomicWrite(store: Store, path: string, data: Buffer | string): Promise<void> {
  const temp = store.tempPath("write");
  await writeFileDurably(temp, data);
  await rename(temp, path);
}
