import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { exportImage } from "../../../src/drivers/local/export-archive.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { Store } from "../../../src/drivers/local/store.js";
import type { ExternalScheme } from "../../../src/plan/types.js";
import { check, layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-bases-"));
const rootfs = makeBusyboxRootfs(join(work, "rootfs"));

function ctx(store: string) {
  return {
    cwd: work,
    env: { BAKE_STORE: store },
    signal: new AbortController().signal,
    reporter: recordingReporter(),
  };
}

const external = (scheme: ExternalScheme, location: string) => ({
  kind: "external" as const,
  ref: `${scheme}:${location}`,
  scheme,
  location,
});

describe("bases", () => {
  test("imports its own OCI and Docker archives into another store and builds on them", async () => {
    const source = join(work, "source-store");
    const driver = createDriver();
    const base = await driver.resolve(external("dir", rootfs), ctx(source));
    const p = plan({ root: work, layers: [layer("a", [run("echo from-archive > /marker")])] });
    const built = await driver.bake({
      ...ctx(source),
      plan: p,
      parent: base,
      layer: p.layers[0]!,
      layerIndex: 0,
      runId: "s",
      secrets: {},
    });
    const store = await Store.open(source);
    const image = await store.requireImage(built.id);
    for (const format of ["oci-archive", "docker-archive"] as const) {
      const file = join(work, `${format}.tar`);
      await exportImage({ store, image, format, file });
      const target = join(work, `${format}-store`);
      const imported = await driver.resolve(external(format, file), ctx(target));
      if (format === "oci-archive") expect(imported.id).toBe(built.id);
      // An unchanged archive is not read again: the store remembers what it resolved to.
      const again = await driver.resolve(external(format, file), ctx(target));
      expect(again.id).toBe(imported.id);
      expect(readFileSync(join(target, "memo.json"), "utf8")).toContain(imported.id);
      const p2 = plan({
        root: work,
        layers: [layer("b", [run('test "$(cat /marker)" = from-archive && echo on-top > /top')])],
      });
      const next = await driver.bake({
        ...ctx(target),
        plan: p2,
        parent: imported,
        layer: p2.layers[0]!,
        layerIndex: 0,
        runId: "t",
        secrets: {},
      });
      const verify = await driver.verify({
        ...ctx(target),
        plan: p2,
        image: next,
        runId: "t",
        secrets: {},
        checks: [
          check({ kind: "file", path: "/top", exists: true, contains: "on-top" }),
          check({ kind: "file", path: "/bin/sh", exists: true }),
        ],
      });
      expect(verify.ok).toBe(true);
    }
  });

  test("resolves scratch to the same id every time and refuses bases it cannot use, with a hint", async () => {
    const driver = createDriver();
    const store = join(work, "scratch-store");
    const first = await driver.resolve(external("scratch", ""), ctx(store));
    const second = await driver.resolve(external("scratch", ""), ctx(store));
    expect(second.id).toBe(first.id);
    await expect(driver.resolve(external("gce", "debian-12"), ctx(store))).rejects.toMatchObject({
      code: "base-unsupported",
      hint: expect.stringContaining("docker://IMAGE"),
    });
    await expect(
      driver.resolve(external("oci-archive", join(work, "missing.tar")), ctx(store)),
    ).rejects.toMatchObject({
      code: "archive-missing",
    });
    await expect(driver.resolve(external("dir", join(work, "nope")), ctx(store))).rejects.toMatchObject({
      code: "base-missing",
    });
  });

  test("prepare checks the target options without touching anything", () => {
    const driver = createDriver();
    expect(driver.prepare({ driver: "local", options: { network: "none", store: "./s" } })).toEqual({
      errors: [],
      warnings: [],
    });
    const bad = driver.prepare({ driver: "local", options: { network: "bridge", store: "a,b", cpus: 2 } });
    expect(bad.errors).toHaveLength(3);
    expect(bad.errors.join("\n")).toMatch(
      /unknown local driver option "cpus"[\s\S]*network must be "host" or "none"[\s\S]*commas/,
    );
  });
});
