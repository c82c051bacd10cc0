import { join } from "node:path";
import { BakeError } from "../../errors.js";
import { chmod, copyFile, lchown, lstat, mkdir, symlink, unlink, writeFile } from "../../util/fs-async.js";
import { type IdMapping, toSandboxId } from "./idmap.js";
import { bindOver, lookupImagePath, splitPath } from "./image-fs.js";
import { runAsSandboxRoot } from "./namespace.js";

/** Owner ids inside the image. */
export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Writes files into an overlay upper dir while no overlay is mounted (which overlayfs allows), as if through the
 * merged view: parents are resolved through the image's symlinks and copied up with their owner and mode first.
 * Ownership changes are collected and applied at the end as the sandbox's root.
 */
export class UpperWriter {
  readonly #upper: string;
  readonly #lowers: readonly string[];
  readonly #mapping: IdMapping;
  readonly #binds: readonly { source: string; target: string }[];
  readonly #owners = new Map<string, Owner>();

  constructor(input: {
    upper: string;
    lowers: readonly string[];
    mapping: IdMapping;
    /** Host directories bound read-only over the image in its sandboxes (a `host` base's /usr, /etc...). */
    binds?: readonly { source: string; target: string }[];
  }) {
    this.#upper = input.upper;
    this.#lowers = input.lowers;
    this.#mapping = input.mapping;
    this.#binds = input.binds ?? [];
  }

  // A file under a bound host directory would be in the layer but hidden behind the bind in every sandbox.
  #refuseBound(path: string): void {
    const bind = bindOver({ dirs: [], binds: this.#binds }, path);
    if (bind) {
      throw new BakeError({
        code: "copy-target",
        message: `${path} is under ${bind.target}, the host's own read-only directory on a host base`,
        hint: "a host base shows the machine's /usr, /etc and libraries read-only; write under /opt, /srv or /var instead",
      });
    }
  }

  get #dirs(): string[] {
    return [this.#upper, ...this.#lowers];
  }

  /**
   * Makes sure a directory exists in the upper dir (copying up its lower metadata, or creating it). Every component
   * is resolved through the image's symlinks, the last one included, so `/lib` in a merged-/usr image (`/lib ->
   * usr/lib`) means `/usr/lib`; resolution never leaves the image root and gives up on loops.
   */
  async ensureDir(path: string, created?: { mode: number; owner: Owner }): Promise<string> {
    const canonical = (await lookupImagePath(this.#dirs, path, { followLast: true })).path;
    this.#refuseBound(canonical);
    let current = "";
    for (const part of splitPath(canonical)) {
      current = `${current}/${part}`;
      const upperPath = join(this.#upper, current);
      const inUpper = await lstatOrUndefined(upperPath);
      if (inUpper?.isDirectory()) continue;
      if (inUpper && !(inUpper.isCharacterDevice() && inUpper.rdev === 0)) {
        throw new BakeError({
          code: "copy-target",
          message: `${current} exists in the image and is not a directory`,
        });
      }
      if (inUpper) {
        throw new BakeError({
          code: "copy-target",
          message: `${current} was deleted earlier in this layer; recreating it with copy or file is not supported`,
          hint: "recreate the directory in a run step, or move the deletion to another layer",
        });
      }
      const lower = (await lookupImagePath(this.#lowers, current, { followLast: false })).entry;
      if (lower && !lower.stats.isDirectory()) {
        throw new BakeError({
          code: "copy-target",
          message: `${current} exists in the image and is not a directory`,
        });
      }
      await mkdir(upperPath);
      if (lower) {
        await chmod(upperPath, lower.stats.mode & 0o7777);
        this.#own(upperPath, this.#sandboxOwner(lower.stats.uid, lower.stats.gid));
      } else {
        await chmod(upperPath, created?.mode ?? 0o755);
        this.#own(upperPath, created?.owner ?? { uid: 0, gid: 0 });
      }
    }
    return canonical;
  }

  /** Writes a file at an image path, replacing what the image had there. */
  async writeFile(
    path: string,
    content: { data: Buffer } | { from: string },
    mode: number,
    owner: Owner,
  ): Promise<void> {
    const target = await this.#prepareLeaf(path, owner);
    if ("data" in content) await writeFile(target, content.data);
    else await copyFile(content.from, target);
    await chmod(target, mode);
    this.#own(target, owner);
  }

  /** Creates a symlink at an image path. */
  async symlink(path: string, linkTarget: string, owner: Owner): Promise<void> {
    const target = await this.#prepareLeaf(path, owner);
    await symlink(linkTarget, target);
    this.#own(target, owner);
  }

  async #prepareLeaf(path: string, owner: Owner): Promise<string> {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new BakeError({ code: "copy-target", message: "cannot write over /" });
    const parent = await this.ensureDir(`/${parts.join("/")}`, { mode: 0o755, owner });
    this.#refuseBound(`${parent === "/" ? "" : parent}/${name}`);
    const target = join(this.#upper, parent, name);
    const existing = await lstatOrUndefined(target);
    if (existing?.isDirectory()) {
      throw new BakeError({ code: "copy-target", message: `${parent}/${name} is a directory in the image` });
    }
    if (existing) await unlink(target);
    const lower = (
      await lookupImagePath(this.#lowers, `${parent === "/" ? "" : parent}/${name}`, { followLast: false })
    ).entry;
    if (lower?.stats.isDirectory()) {
      throw new BakeError({ code: "copy-target", message: `${parent}/${name} is a directory in the image` });
    }
    return target;
  }

  #sandboxOwner(hostUid: number, hostGid: number): Owner {
    return {
      uid: toSandboxId(this.#mapping.uids, hostUid) ?? 0,
      gid: toSandboxId(this.#mapping.gids, hostGid) ?? 0,
    };
  }

  #own(hostPath: string, owner: Owner): void {
    this.#owners.set(hostPath, owner);
  }

  /** Applies every recorded owner (as the sandbox's root when ids are mapped). */
  async applyOwners(): Promise<void> {
    const pending = [...this.#owners.entries()];
    this.#owners.clear();
    if (this.#mapping.kind === "identity") {
      for (const [path, owner] of pending) await lchown(path, owner.uid, owner.gid);
      return;
    }
    const byOwner = new Map<string, string[]>();
    for (const [path, owner] of pending) {
      if (owner.uid === 0 && owner.gid === 0) continue;
      if (this.#mapping.kind === "single") {
        throw new BakeError({
          code: "sandbox-user",
          message: `cannot give ${path} the owner ${owner.uid}:${owner.gid}: this unprivileged user has no subordinate ids`,
          hint: "add ranges for this user to /etc/subuid and /etc/subgid (package uidmap), or keep files owned by root",
        });
      }
      const key = `${owner.uid}:${owner.gid}`;
      byOwner.set(key, [...(byOwner.get(key) ?? []), path]);
    }
    for (const [key, paths] of byOwner) {
      await runAsSandboxRoot({ argv: ["chown", "-h", key, "--", ...paths], mapping: this.#mapping });
    }
  }
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch {
    return undefined;
  }
}
