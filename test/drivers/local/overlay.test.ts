import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { overlayMountError } from "../../../src/drivers/local/overlay-error.js";
import { runInSandbox } from "../../../src/drivers/local/sandbox.js";
import type { BakeError } from "../../../src/errors.js";
import { ensureBuilt } from "../../helpers/compiled-cli.js";
import { bakeCli, makeBusyboxRootfs } from "./helpers.js";

// Issue 10.1: identical layers gave overlayfs the same lower dir twice, and the failure was blamed on the kernel.

beforeAll(ensureBuilt, 300_000);

describe("overlay lowers", () => {
  test("builds and verifies an image whose layers have identical content (the same layer digest twice)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-twin-layers-"));
    makeBusyboxRootfs(join(dir, "rootfs"));
    writeFileSync(
      join(dir, "recipe.yaml"),
      `apiVersion: bake/v1
name: twins
from: dir:./rootfs
target: { driver: local, network: none }
layers:
  - name: one
    steps: [{ run: "true" }]
  - name: two
    steps: [{ run: "true" }]
  - name: after
    steps: [{ run: "echo after > /after" }]
verify:
  - run: test "$(cat /after)" = after
`,
    );
    const result = await bakeCli(["build", "recipe.yaml", "--json"], { cwd: dir });
    expect(result.stderr).not.toContain("cannot mount");
    expect(result.code).toBe(0);
    const records = readFileSync(join(dir, "bake.lineage.jsonl"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { kind: string; details?: { layer?: string } });
    const layers = records.filter((record) => record.kind === "layer").map((record) => record.details?.layer);
    expect(layers).toHaveLength(3);
    expect(layers[0]).toBe(layers[1]);
    expect(records.some((record) => record.kind === "image")).toBe(true);
  }, 120_000);

  test("a failed overlay mount reports mount's own error, the options tried and a hint that fits the error", async () => {
    const lower = makeBusyboxRootfs();
    // A layer that is a file, not a directory: overlayfs refuses it (ENOTDIR).
    const notADir = join(mkdtempSync(join(tmpdir(), "bake-overlay-err-")), "layer");
    writeFileSync(notADir, "");
    const error = (await runInSandbox({
      lowerDirs: [notADir, lower],
      argv: ["/bin/true"],
      env: {},
      network: "none",
      signal: new AbortController().signal,
    }).catch((caught: unknown) => caught)) as BakeError;
    expect(error.code).toBe("sandbox-overlay");
    expect(error.message).toBe(`cannot mount the overlay: layer directory ${notADir} is not a directory`);
    expect(error.message).not.toContain("5.11");
    expect(error.detail).toMatch(/^mount said: mount: .+\nmount -t overlay -o lowerdir=\S+:/);
    expect(error.detail).toContain(`:${notADir}:${lower},upperdir=`);
    expect(error.hint).toMatch(/store is damaged/);
  });

  test("names a layer directory given twice, or nested in the upper dir, rather than blaming the kernel", async () => {
    const base = mkdtempSync(join(tmpdir(), "bake-overlay-diag-"));
    const [a, b, upper, work] = ["a", "b", "upper", "work"].map((name) => join(base, name)) as [
      string,
      string,
      string,
      string,
    ];
    for (const dir of [a, b, upper, work]) mkdirSync(dir);
    const twice = await overlayMountError({
      said: "mount: Too many levels of symbolic links",
      lowers: [a, b, a],
      upper,
      work,
    });
    expect(twice.message).toBe(`cannot mount the overlay: layer directory ${a} is given twice`);
    expect(twice.detail).toContain("mount said: mount: Too many levels of symbolic links");
    const nestedUpper = join(a, "upper");
    mkdirSync(nestedUpper);
    const nested = await overlayMountError({ said: "x", lowers: [a, b], upper: nestedUpper, work });
    expect(nested.message).toBe(
      `cannot mount the overlay: ${nestedUpper} and the layer directory ${a} overlap`,
    );
    const unknown = await overlayMountError({ said: "mount: something new", lowers: [a, b], upper, work });
    expect(unknown.message).toBe("cannot mount the overlay: mount: something new");
  });
});
