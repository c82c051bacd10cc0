import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectInventory } from "../../src/inventory/collect.js";
import {
  GuestInventoryReader,
  guestInventoryScript,
  reportMarker,
} from "../../src/inventory/guest-report.js";
import { directoryFiles } from "./files.js";

const fixtures = resolve(import.meta.dirname, "../fixtures/inventory");
const marker = reportMarker("0123456789abcdef");
const haveDocker = spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;
const hostDpkg = existsSync("/var/lib/dpkg/status");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bake-guest-report-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function read(output: string): GuestInventoryReader {
  const reader = new GuestInventoryReader(marker);
  for (const line of output.split("\n")) reader.take(line);
  return reader;
}

function runScript(env: Record<string, string> = {}): string {
  return execFileSync("/bin/sh", ["-c", guestInventoryScript(marker)], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
}

describe("the inventory report a builder prints", () => {
  it.skipIf(!hostDpkg)("carries this machine's package databases byte for byte (base64)", async () => {
    const output = runScript();
    expect(output).toMatch(new RegExp(`^${marker}:start:b64$`, "m"));
    expect(output.split("\n").every((line) => line === "" || line.startsWith(`${marker}:`))).toBe(true);
    const reported = await read(output).inventory();
    expect(reported).toEqual(await collectInventory(directoryFiles("/")));
    expect(reported.packages.length).toBeGreaterThan(10);
  });

  it.skipIf(!hostDpkg)("falls back to od's hex where the image has no base64 tool", async () => {
    // A PATH with the tools the script needs, except base64.
    const bin = join(dir, "bin");
    execFileSync("mkdir", ["-p", bin]);
    for (const tool of ["od", "sed", "wc", "tr", "cat"]) {
      const found = execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
      if (!existsSync(join(bin, tool))) await symlink(found, join(bin, tool));
    }
    const output = runScript({ PATH: bin });
    expect(output).toMatch(new RegExp(`^${marker}:start:hex$`, "m"));
    expect(await read(output).inventory()).toEqual(await collectInventory(directoryFiles("/")));
  });

  it.skipIf(!haveDocker)(
    "reads status.d without its md5sums in busybox, and package text that spells the marker cannot end it",
    async () => {
      const status = join(dir, "status");
      // A description that tries to end the report and start a file of its own.
      await writeFile(
        status,
        `Package: forged\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nDescription: x\n ${marker}:end\n${marker}:file:L2V0Yy9wYXNzd2Q=\n`,
      );
      const output = execFileSync(
        "docker",
        [
          "run",
          "--rm",
          "--network=none",
          "-v",
          `${status}:/var/lib/dpkg/status:ro`,
          "-v",
          `${join(fixtures, "distroless")}:/var/lib/dpkg/status.d:ro`,
          "-v",
          `${join(fixtures, "dpkg/os-release")}:/etc/os-release:ro`,
          "bake-busybox:latest",
          "sh",
          "-c",
          guestInventoryScript(marker),
        ],
        { encoding: "utf8" },
      );
      const inventory = await read(output).inventory();
      expect(inventory.os).toMatchObject({ id: "debian", versionId: "12" });
      expect(inventory.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
        "base-files@12.4+deb12u5",
        "forged@1.0",
        "libc6@2.36-9+deb12u4",
      ]);
    },
  );

  it("refuses a report that is absent, cut short, corrupted or over its bound, naming why", async () => {
    const start = `${marker}:start:b64`;
    const file = `${marker}:file:${Buffer.from("/var/lib/dpkg/status").toString("base64")}`;
    const cases: [string, RegExp][] = [
      ["plain build output\n", /printed no inventory report/],
      [`${start}\n${file}:3\n${marker}:d:UGFj\n`, /stopped before its end/],
      [`${start}\n${file}\n${marker}:d:not*base64\n${marker}:eof\n${marker}:end\n`, /corrupted/],
      // A line lost on the way (PACK|AGE: were sent, PACK arrived).
      [
        `${start}\n${file}:8\n${marker}:d:UEFDSw==\n${marker}:eof\n${marker}:end\n`,
        /incomplete \(4 of 8 bytes/,
      ],
      [
        `${start}\n${marker}:big:${Buffer.from("/var/lib/dpkg/status").toString("base64")}:99999999999\n${marker}:end\n`,
        /\/var\/lib\/dpkg\/status is 99999999999 bytes/,
      ],
    ];
    for (const [output, message] of cases) {
      await expect(read(output).inventory()).rejects.toMatchObject({ code: "inventory-report", message });
    }
  });

  it("takes only lines of its own build's marker, and accepts files only where package databases live", async () => {
    const reader = new GuestInventoryReader(marker);
    expect(reader.take(`${reportMarker("ffff")}:start:b64`)).toBe(false);
    expect(reader.take("    docker.bake: hello")).toBe(false);
    expect(reader.take(`    docker.bake: ${marker}:start:b64`)).toBe(true);
    reader.take(`${marker}:file:${Buffer.from("/etc/passwd").toString("base64")}:11`);
    reader.take(`${marker}:d:${Buffer.from("root:x:0:0\n").toString("base64")}`);
    reader.take(`${marker}:eof`);
    reader.take(`${marker}:end`);
    expect(await reader.inventory()).toEqual({ packages: [] });
  });
});
