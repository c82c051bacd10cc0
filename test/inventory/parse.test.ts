import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseApkInstalled } from "../../src/inventory/apk-db.js";
import { compareApkVersions } from "../../src/inventory/apk-version.js";
import { collectInventory } from "../../src/inventory/collect.js";
import { parseDpkgStatus } from "../../src/inventory/dpkg-status.js";
import { parseOsRelease } from "../../src/inventory/os-release.js";
import { parsePackageUrl } from "../../src/inventory/purl.js";
import { directoryFiles } from "./files.js";

const fixtures = resolve(import.meta.dirname, "../fixtures/inventory");
const text = (path: string) => readFile(join(fixtures, path), "utf8");

describe("package database parsers", () => {
  it("reads only installed packages from a dpkg status file, with package URLs", async () => {
    const os = parseOsRelease(await text("dpkg/os-release"));
    expect(os).toEqual({ id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" });
    const packages = parseDpkgStatus(await text("dpkg/status"), os ? { os } : {});
    expect(packages.map((p) => `${p.name} ${p.version}`)).toEqual([
      "openssl 3.0.11-1~deb12u2",
      "libssl3 3.0.11-1~deb12u2",
      "tzdata 2024a-0+deb12u1",
    ]);
    expect(packages[0]?.purl).toBe("pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
    expect(packages[1]?.source).toBe("openssl");
    expect(parsePackageUrl(packages[0]?.purl ?? "")).toEqual({
      ecosystem: "deb",
      name: "openssl",
      version: "3.0.11-1~deb12u2",
      arch: "amd64",
    });
  });

  it("reads every package of an apk database, with licenses and origins", async () => {
    const os = parseOsRelease(await text("apk/os-release"));
    const packages = parseApkInstalled(await text("apk/installed"), os ? { os } : {});
    expect(packages.map((p) => `${p.name} ${p.version} ${p.arch} ${p.license}`)).toEqual([
      "musl 1.2.4_git20230717-r4 x86_64 MIT",
      "libcrypto3 3.1.4-r5 x86_64 Apache-2.0",
      "busybox 1.36.1-r15 x86_64 GPL-2.0-only",
    ]);
    expect(packages[1]?.source).toBe("openssl");
    expect(packages[1]?.purl).toBe("pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1");
  });

  it("collects distroless status.d stanzas, which carry no Status field, and skips their md5sums", async () => {
    const inventory = await collectInventory({
      read: async (path) =>
        path.startsWith("/var/lib/dpkg/status.d/")
          ? readFile(join(fixtures, "distroless", path.slice("/var/lib/dpkg/status.d/".length)))
          : undefined,
      list: async (path) => (path === "/var/lib/dpkg/status.d" ? ["libc6", "base", "libc6.md5sums"] : []),
    });
    expect(inventory.os).toBeUndefined();
    expect(inventory.packages.map((p) => `${p.name} ${p.version}`)).toEqual([
      "base-files 12.4+deb12u5",
      "libc6 2.36-9+deb12u4",
    ]);
  });

  it("collects an Alpine tree's apk database and os-release", async () => {
    const inventory = await collectInventory(directoryFiles(join(fixtures, "apk-tree")));
    expect(inventory.os?.id).toBe("alpine");
    expect(inventory.packages.map((p) => p.name)).toEqual(["busybox", "libcrypto3", "musl"]);
  });

  it("reads quoted and escaped os-release values", () => {
    expect(parseOsRelease('ID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="say \\"hi\\""\n')).toEqual({
      id: "ubuntu",
      versionId: "22.04",
      prettyName: 'say "hi"',
    });
    expect(parseOsRelease("NAME=nothing\n")).toBeUndefined();
  });
});

describe("apk version ordering", () => {
  it("orders suffixes, letters, revisions and fractional parts as apk does", () => {
    const ascending = [
      "1.0_alpha1",
      "1.0_beta",
      "1.0_rc1",
      "1.0",
      "1.0-r1",
      "1.0_p1",
      "1.0a",
      "1.0.1",
      "1.2.4_git20230717-r4",
      "1.10",
      "3.1.4-r5",
      "3.1.4-r10",
    ];
    for (let i = 0; i < ascending.length - 1; i++) {
      expect(compareApkVersions(ascending[i] as string, ascending[i + 1] as string), ascending[i]).toBe(-1);
      expect(compareApkVersions(ascending[i + 1] as string, ascending[i] as string)).toBe(1);
    }
    expect(compareApkVersions("1.01", "1.1")).toBe(-1);
    expect(compareApkVersions("2.0-r0", "2.0")).toBe(0);
  });
});
