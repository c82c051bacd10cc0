import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Version } from "@cyclonedx/cyclonedx-library/Spec";
import { JsonStrictValidator } from "@cyclonedx/cyclonedx-library/Validation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { openManifest } from "../../src/manifest/manifest.js";
import type { ImageRecord } from "../../src/manifest/types.js";
import { ensureBuilt, runBake } from "../helpers/compiled-cli.js";
import { Project } from "./project.js";

const fixtures = resolve(import.meta.dirname, "../fixtures/inventory");

// A distro made of nothing but its package database: `file:` steps write dpkg's status and os-release.
const FAKE_DEBIAN = `apiVersion: bake/v1
name: fake-debian
version: \${vars.openssl}
from: scratch
target: { driver: local, network: none }
vars:
  openssl: { type: string }
  extra: { type: string }
layers:
  - name: system
    steps:
      - file: { path: /etc/os-release, content: "ID=debian\\nVERSION_ID=\\"12\\"\\n" }
      - file:
          path: /var/lib/dpkg/status
          content: |
            Package: openssl
            Status: install ok installed
            Architecture: amd64
            Version: \${vars.openssl}

            Package: libc6
            Status: install ok installed
            Architecture: amd64
            Version: 2.36-9+deb12u4

            Package: \${vars.extra}
            Status: install ok installed
            Architecture: amd64
            Version: 1.0-1

            Package: gone
            Status: deinstall ok config-files
            Architecture: amd64
            Version: 9-9
verify:
  - file: { path: /var/lib/dpkg/status, contains: openssl }
`;

const FAKE_ALPINE = `apiVersion: bake/v1
name: fake-alpine
version: "3.19"
from: scratch
target: { driver: local, network: none }
layers:
  - name: system
    steps:
      - copy: { from: tree/, to: / }
`;

const HOST = `apiVersion: bake/v1
name: on-host
version: "1"
from: host
target: { driver: local, network: none }
layers:
  - name: marker
    steps:
      - run: mkdir -p /opt/m && echo ok > /opt/m/ok
`;

let project: Project;
let first: ImageRecord;
let second: ImageRecord;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, "--manifest", join(project.dir, "bake.lineage.jsonl")], {
    cwd: project.dir,
    env: { PATH: process.env.PATH, NO_COLOR: "1" },
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    signal: new AbortController().signal,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

async function expectBuilt(recipe: string, ...args: string[]): Promise<ImageRecord> {
  const run = await project.build(recipe, ...args);
  expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
  const record = (await project.records()).filter((r) => r.kind === "image").at(-1) as ImageRecord;
  expect(record.details?.sbom).toMatch(/^sha256:[0-9a-f]{64}$/);
  return record;
}

beforeAll(async () => {
  project = await Project.create();
  await project.write("debian/recipe.yaml", FAKE_DEBIAN);
  await project.write("alpine/recipe.yaml", FAKE_ALPINE);
  await project.write(
    "alpine/tree/lib/apk/db/installed",
    await readFile(join(fixtures, "apk/installed"), "utf8"),
  );
  await project.write("alpine/tree/etc/os-release", await readFile(join(fixtures, "apk/os-release"), "utf8"));
  await project.write("host/recipe.yaml", HOST);
  first = await expectBuilt("debian/recipe.yaml", "--var", "openssl=3.0.11-1~deb12u2", "--var", "extra=curl");
  second = await expectBuilt(
    "debian/recipe.yaml",
    "--var",
    "openssl=3.0.13-1~deb12u1",
    "--var",
    "extra=wget",
  );
}, 120_000);

afterAll(async () => {
  await project?.remove();
});

describe("package inventory of local images", () => {
  it("records the installed packages of a dpkg status file written by a step, by digest in the image record", async () => {
    expect(first.details?.packages).toBe("3");
    const { code, stdout } = await cli("sbom", first.id);
    expect(code).toBe(0);
    const purls = (JSON.parse(stdout) as { components: { purl?: string }[] }).components.flatMap((c) =>
      c.purl ? [c.purl] : [],
    );
    expect(purls).toEqual([
      "pkg:deb/debian/curl@1.0-1?arch=amd64&distro=debian-12",
      "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12",
      "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
    ]);
  });

  it("writes CycloneDX that the CycloneDX library's strict JSON validator accepts", async () => {
    const { code } = await cli("sbom", second.id, "-o", "second.cdx.json");
    expect(code).toBe(0);
    const text = await readFile(join(project.dir, "second.cdx.json"), "utf8");
    expect(JSON.parse(text).specVersion).toBe("1.6");
    expect(await new JsonStrictValidator(Version.v1dot6).validate(text)).toBeNull();
  });

  it("exports SPDX 2.3 JSON with a purl for every package", async () => {
    const { code, stdout } = await cli("sbom", second.id, "--format", "spdx");
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      spdxVersion: string;
      packages: { name: string; versionInfo: string; externalRefs?: { referenceLocator: string }[] }[];
      relationships: { relationshipType: string }[];
    };
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    expect(doc.packages.map((p) => `${p.name} ${p.versionInfo}`)).toEqual([
      "fake-debian 3.0.13-1~deb12u1",
      "libc6 2.36-9+deb12u4",
      "openssl 3.0.13-1~deb12u1",
      "wget 1.0-1",
    ]);
    expect(doc.packages[2]?.externalRefs?.[0]?.referenceLocator).toMatch(/^pkg:deb\/debian\/openssl@/);
    expect(doc.relationships.filter((r) => r.relationshipType === "CONTAINS")).toHaveLength(3);
  });

  it("shows in bake diff the package a step upgraded, with both versions, and what was added and removed", async () => {
    const text = await cli("diff", first.id, second.id);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("packages: 1 upgraded, 0 downgraded, 1 added, 1 removed");
    expect(text.stdout).toContain("^ openssl 3.0.11-1~deb12u2 -> 3.0.13-1~deb12u1");
    expect(text.stdout).toContain("+ wget 1.0-1");
    expect(text.stdout).toContain("- curl 1.0-1");
    const json = JSON.parse((await cli("diff", second.id, first.id, "--json")).stdout);
    expect(json.packages.downgraded).toEqual([
      { ecosystem: "deb", name: "openssl", arch: "amd64", from: "3.0.13-1~deb12u1", to: "3.0.11-1~deb12u2" },
    ]);
  });

  it("finds the images holding a package in a version range, and fails when an active server runs one", async () => {
    const old = await cli("query", "package", "openssl@<3.0.13", "--json");
    expect(old.code).toBe(0);
    const found = JSON.parse(old.stdout) as { matches: { record: string; package: { version: string } }[] };
    expect(found.matches.map((m) => [m.record, m.package.version])).toEqual([[first.id, "3.0.11-1~deb12u2"]]);
    // The first query left a derived index; the next ones read it and answer the same.
    expect(existsSync(join(project.dir, ".bake-cache/bake.lineage.jsonl.packages.json"))).toBe(true);
    const both = JSON.parse((await cli("query", "package", "openssl@>=3.0,<4", "--json")).stdout);
    expect(both.matches).toHaveLength(2);
    expect(
      JSON.parse((await cli("query", "package", "openssl@=3.0.13-1~deb12u1", "--json")).stdout).matches,
    ).toHaveLength(1);

    const manifest = await openManifest(join(project.dir, "bake.lineage.jsonl"));
    await manifest.appendEvent({ event: "observe", target: first.id, server: "web-1" });
    const live = await cli("query", "package", "openssl@<3.0.13");
    expect(live.code).toBe(1);
    expect(live.stdout).toContain("running on web-1");
    // The server moved on to the fixed image: nothing live holds the old openssl any more.
    await manifest.appendEvent({ event: "observe", target: second.id, server: "web-1" });
    expect((await cli("query", "package", "openssl@<3.0.13")).code).toBe(0);
    expect((await cli("query", "package", "openssl@>=3.0.13")).code).toBe(1);
    await manifest.appendEvent({ event: "revoke", target: first.id, reason: "CVE", cascade: false });
    const active = JSON.parse((await cli("query", "package", "openssl", "--active-only", "--json")).stdout);
    expect(active.matches.map((m: { record: string }) => m.record)).toEqual([second.id]);
  });

  it("refuses a malformed range with exit 2", async () => {
    const bad = await cli("query", "package", "openssl@<<3");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not a version bound");
  });

  it("reads an apk database copied into a scratch image", async () => {
    const record = await expectBuilt("alpine/recipe.yaml");
    const json = JSON.parse((await cli("query", "package", "libcrypto3@<3.1.4-r10", "--json")).stdout);
    expect(json.matches.map((m: { record: string; package: object }) => [m.record, m.package])).toEqual([
      [record.id, { ecosystem: "apk", name: "libcrypto3", version: "3.1.4-r5", arch: "x86_64" }],
    ]);
    expect(record.details?.packages).toBe("3");
  });

  it("inventories an image on the host base with exactly the host's installed packages", async () => {
    const record = await expectBuilt("host/recipe.yaml");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a template
    const host = execFileSync("dpkg-query", ["-W", "-f", "${db:Status-Status} ${Package} ${Version}\\n"], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((line) => line.startsWith("installed "))
      .map((line) => line.slice("installed ".length))
      .sort();
    const { stdout } = await cli("sbom", record.id);
    const components = (
      JSON.parse(stdout) as { components: { name: string; version?: string; purl?: string }[] }
    ).components
      .filter((c) => c.purl)
      .map((c) => `${c.name} ${c.version}`)
      .sort();
    expect(host.length).toBeGreaterThan(50);
    expect(components).toHaveLength(host.length);
    expect(components).toEqual(host);
    expect(record.details?.packages).toBe(String(host.length));
  }, 60_000);

  it("refuses, from the compiled CLI, an inventory changed after it was recorded", async () => {
    await ensureBuilt();
    const path = join(project.dir, ".bake-data/sha256", (first.details?.sbom ?? "").slice("sha256:".length));
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace("3.0.11-1~deb12u2", "3.0.99-1"));
    const run = await runBake(["sbom", first.id], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("does not hold what the record refers to");
    expect(run.stderr).not.toContain("    at ");
    const fsck = await runBake(["fsck"], { cwd: project.dir });
    expect(fsck.code).toBe(1);
    expect(fsck.stdout).toMatch(
      /bake\.lineage\.jsonl:\d+: package inventory: .* does not hold what the record refers to/,
    );
  }, 120_000);
});
