import { mkdtempSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  fingerprint,
  judge,
  nowNs,
  parseRemembered,
  RACY_WINDOW_NS,
  type RememberedImport,
} from "../../../src/drivers/local/base-fingerprint.js";
import { makeBusyboxRootfs } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-fingerprint-"));
const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
writeFileSync(join(rootfs, "etc/motd"), "hello\n");

const remembered = (digest: string, takenNs: bigint): RememberedImport => ({
  id: `sha256:${"a".repeat(64)}`,
  digest,
  takenNs: takenNs.toString(),
});

describe("base fingerprint", () => {
  test("is the same for an untouched tree and differs once a file is added", () => {
    const before = fingerprint(rootfs);
    expect(fingerprint(rootfs).digest).toBe(before.digest);
    writeFileSync(join(rootfs, "etc/added"), "x");
    expect(fingerprint(rootfs).digest).not.toBe(before.digest);
  });

  test("sees a same-size edit whose mtime was put back with utimes", () => {
    const file = join(rootfs, "etc/motd");
    // Whole seconds, which utimes puts back exactly (it takes a double of seconds).
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const { size, mtimeNs } = statSync(file, { bigint: true });
    const before = fingerprint(rootfs);
    writeFileSync(file, "HELLO\n");
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(readFileSync(file, "utf8")).toBe("HELLO\n");
    const edited = statSync(file, { bigint: true });
    expect([edited.size, edited.mtimeNs]).toEqual([size, mtimeNs]);
    // ctime cannot be put back: it moved, so the fingerprint did.
    expect(fingerprint(rootfs).digest).not.toBe(before.digest);
  });

  test("follows a symlink given as the base itself, and sees an edit inside the tree it points to", () => {
    const link = join(work, "current");
    symlinkSync(rootfs, link);
    const before = fingerprint(link);
    expect(before.digest).toBe(fingerprint(link).digest);
    writeFileSync(join(rootfs, "etc/through-link"), "x");
    expect(fingerprint(link).digest).not.toBe(before.digest);
  });

  test("trusts a match only when every timestamp is older than the racy window before it was taken", () => {
    const current = fingerprint(rootfs);
    const longAfter = current.newestNs + RACY_WINDOW_NS + 1_000_000n;
    expect(judge(remembered(current.digest, longAfter), current, longAfter + 1n)).toBe("unchanged");
    // Taken within the window of the newest change: stat cannot prove an edit in the same tick did not happen.
    expect(judge(remembered(current.digest, current.newestNs), current, longAfter)).toBe("racy");
    expect(judge(remembered(current.digest, current.newestNs + RACY_WINDOW_NS), current, longAfter)).toBe(
      "racy",
    );
    expect(judge(remembered("sha256:other", longAfter), current, longAfter + 1n)).toBe("changed");
  });

  test("sends a tree with a timestamp in the future to a content check", () => {
    const file = join(rootfs, "etc/future");
    writeFileSync(file, "later");
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(file, future, future);
    const current = fingerprint(rootfs);
    const taken = nowNs() + RACY_WINDOW_NS * 10n;
    expect(judge(remembered(current.digest, taken), current, nowNs())).toBe("racy");
  });

  test("reads back what was remembered, and nothing from an older memo", () => {
    const value = remembered("sha256:abc", 12n);
    expect(parseRemembered(JSON.stringify(value))).toEqual(value);
    expect(parseRemembered(`sha256:${"b".repeat(64)}`)).toBeUndefined();
    expect(parseRemembered(JSON.stringify({ ...value, takenNs: "soon" }))).toBeUndefined();
    expect(parseRemembered(undefined)).toBeUndefined();
  });
});
