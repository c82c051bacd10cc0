import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";

/** One contiguous range of a user-namespace id map: `inner` ids `[inner, inner+count)` are `outer` ids on the host. */
export interface IdRange {
  inner: number;
  outer: number;
  count: number;
}

/**
 * How sandbox ids map to host ids. As root the map is the identity over every id, so files in the store carry
 * the image's own owners. Unprivileged, the caller becomes root in the sandbox and, when `/etc/subuid` grants
 * subordinate ids and `newuidmap` is installed, ids 1..N map onto them as podman does; otherwise only root exists.
 */
export interface IdMapping {
  kind: "identity" | "subordinate" | "single";
  uids: IdRange[];
  gids: IdRange[];
  /** A short stable name, used to key unpacked-layer caches (ownership on disk depends on the map). */
  key: string;
}

const FULL_RANGE = 4294967295;

let cached: IdMapping | undefined;

/** The mapping the current process uses for sandboxes and for store files it unpacks. */
export function currentIdMapping(): IdMapping {
  cached ??= detectIdMapping();
  return cached;
}

function detectIdMapping(): IdMapping {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid === 0) {
    const full = [{ inner: 0, outer: 0, count: FULL_RANGE }];
    return { kind: "identity", uids: full, gids: full, key: "root" };
  }
  const name = safeUserName();
  const subUid = subordinateRange("/etc/subuid", name, uid);
  const subGid = subordinateRange("/etc/subgid", name, uid);
  if (subUid && subGid && existsSync("/usr/bin/newuidmap") && existsSync("/usr/bin/newgidmap")) {
    return {
      kind: "subordinate",
      uids: [
        { inner: 0, outer: uid, count: 1 },
        { inner: 1, outer: subUid.start, count: subUid.count },
      ],
      gids: [
        { inner: 0, outer: gid, count: 1 },
        { inner: 1, outer: subGid.start, count: subGid.count },
      ],
      key: `u${uid}-${subUid.start}-${subUid.count}`,
    };
  }
  return {
    kind: "single",
    uids: [{ inner: 0, outer: uid, count: 1 }],
    gids: [{ inner: 0, outer: gid, count: 1 }],
    key: `u${uid}`,
  };
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

// `/etc/subuid` lines are `name-or-uid:start:count`; the first matching line wins, as in shadow-utils.
function subordinateRange(
  file: string,
  name: string | undefined,
  uid: number,
): { start: number; count: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [owner, start, count] = line.trim().split(":");
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner !== name && owner !== String(uid)) continue;
    const range = { start: Number(start), count: Number(count) };
    if (Number.isInteger(range.start) && Number.isInteger(range.count) && range.count > 0) return range;
  }
  return undefined;
}

/** The host id of a sandbox id, or undefined when the map does not cover it. */
export function toHostId(ranges: readonly IdRange[], inner: number): number | undefined {
  for (const range of ranges) {
    if (inner >= range.inner && inner - range.inner < range.count) return range.outer + (inner - range.inner);
  }
  return undefined;
}

/** The sandbox id of a host id, or undefined when the map does not cover it. */
export function toSandboxId(ranges: readonly IdRange[], outer: number): number | undefined {
  for (const range of ranges) {
    if (outer >= range.outer && outer - range.outer < range.count) return range.inner + (outer - range.outer);
  }
  return undefined;
}
