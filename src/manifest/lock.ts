import { randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { BakeError } from "../errors.js";
import { lockPathFor, refuseHardLinks } from "./lock-path.js";
import { writeFailure } from "./write-failure.js";

/** Options for {@link withLock}. */
export interface LockOptions {
  /** Give up after waiting this long for another holder. @default 15000 */
  timeoutMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
}

// A lock file that stays empty this long belongs to a process that died between creating and writing it.
const EMPTY_LOCK_GRACE_MS = 2000;

/**
 * Runs `fn` while holding `<target>.lock` (beside the real file, symlinks resolved), a file created with O_EXCL that
 * names its owner (pid, host, token). A lock whose owner process is gone (same host, pid not alive) is stale and is
 * broken; otherwise the wait is bounded. A target with several hard links is refused (see {@link refuseHardLinks}).
 */
export async function withLock<T>(
  target: string,
  options: LockOptions,
  fn: () => Promise<T> | T,
): Promise<T> {
  const lockPath = lockPathFor(target);
  const owner = await acquire(lockPath, options.timeoutMs ?? 15_000);
  try {
    refuseHardLinks(target);
    return await fn();
  } finally {
    release(lockPath, owner);
  }
}

async function acquire(lockPath: string, timeoutMs: number): Promise<LockOwner> {
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(8).toString("hex"),
    since: new Date().toISOString(),
  };
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (tryCreate(lockPath, owner)) return owner;
    const seen = readLock(lockPath);
    if (seen !== undefined && isStale(seen, lockPath)) {
      breakStale(lockPath, seen.text);
      continue;
    }
    if (Date.now() >= deadline) throw lockedError(lockPath, seen?.owner, timeoutMs);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 16);
  }
}

function tryCreate(lockPath: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    const failure = writeFailure(error, lockPath);
    if (failure instanceof BakeError && failure.code === "manifest-disk-full") throw failure;
    throw new BakeError({
      code: "manifest-lock-failed",
      message: `cannot create the lock file ${lockPath}: ${(error as Error).message}`,
      hint: "bake needs write access to the manifest's directory",
    });
  }
  try {
    writeFileSync(fd, JSON.stringify(owner));
  } catch (error) {
    // A lock we created but could not sign would hold others off for nothing: it goes.
    rmSync(lockPath, { force: true });
    throw writeFailure(error, lockPath);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(lockPath: string): { text: string; owner?: LockOwner; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(lockPath, "utf8");
    const mtimeMs = statSync(lockPath).mtimeMs;
    try {
      return { text, owner: JSON.parse(text) as LockOwner, mtimeMs };
    } catch {
      return { text, mtimeMs };
    }
  } catch {
    return undefined; // released between our attempt and this read: just retry
  }
}

function isStale(seen: { owner?: LockOwner; mtimeMs: number }, _lockPath: string): boolean {
  if (seen.owner === undefined) return Date.now() - seen.mtimeMs > EMPTY_LOCK_GRACE_MS;
  if (seen.owner.host !== hostname()) return false; // another machine: we cannot tell, so wait
  return !processAlive(seen.owner.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Moves the lock aside before deleting it, so two processes breaking the same stale lock cannot delete a fresh one:
// if what we moved is not the stale lock we saw, it is put back (link fails if a newer lock already took its place).
function breakStale(lockPath: string, staleText: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // someone else broke it first
  }
  let movedText = "";
  try {
    movedText = readFileSync(aside, "utf8");
  } catch {}
  if (movedText !== staleText) {
    try {
      linkSync(aside, lockPath);
    } catch {}
  }
  try {
    unlinkSync(aside);
  } catch {}
}

function release(lockPath: string, owner: LockOwner): void {
  // Only remove our own lock: if it was broken and retaken meanwhile, it is no longer ours to remove.
  try {
    const current = JSON.parse(readFileSync(lockPath, "utf8")) as LockOwner;
    if (current.token === owner.token) unlinkSync(lockPath);
  } catch {}
}

function lockedError(lockPath: string, owner: LockOwner | undefined, timeoutMs: number): BakeError {
  const who = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.since})` : "another process";
  return new BakeError({
    code: "manifest-locked",
    message: `the manifest is locked by ${who}; gave up after ${Math.round(timeoutMs / 1000)}s`,
    hint: `another bake is writing to it. If none is running, remove ${lockPath}`,
  });
}
