import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { withLock } from "../../src/manifest/lock.js";
import { tempManifest } from "./helpers.js";

describe("the manifest lock", () => {
  it("breaks a lock left by a process that no longer exists", async () => {
    const { path } = tempManifest();
    const dead = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: Number(dead), host: hostname(), token: "x", since: "then" }),
    );
    const value = await withLock(path, { timeoutMs: 2000 }, () => readFileSync(`${path}.lock`, "utf8"));
    expect(JSON.parse(value).pid).toBe(process.pid);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("waits for a live holder, then gives up with an error naming it", async () => {
    const { path } = tempManifest();
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: process.ppid, host: hostname(), token: "y", since: "now" }),
    );
    const started = Date.now();
    await expect(withLock(path, { timeoutMs: 300 }, () => 1)).rejects.toMatchObject({
      code: "manifest-locked",
      message: expect.stringContaining(`locked by process ${process.ppid}`),
      hint: expect.stringContaining(`remove ${path}.lock`),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(existsSync(`${path}.lock`)).toBe(true);
  });

  it("serialises holders in one process", async () => {
    const { path } = tempManifest();
    const order: string[] = [];
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        withLock(path, {}, async () => {
          order.push(`${name}+`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          order.push(`${name}-`);
        }),
      ),
    );
    for (let i = 0; i < order.length; i += 2) expect(order[i]?.[0]).toBe(order[i + 1]?.[0]);
  });
});
