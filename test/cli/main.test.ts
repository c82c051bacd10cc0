import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIO } from "../helpers/capture-io.js";

function capture() {
  return captureIO();
}

describe("bake entry point", () => {
  it("prints its version", async () => {
    const run = capture();
    expect(await main(["--version"], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/^bake \d+\.\d+\.\d+\n$/);
  });

  it("suggests the nearest command for a typo and exits 2", async () => {
    const run = capture();
    expect(await main(["buidl"], run.io)).toBe(2);
    expect(run.stderr()).toContain('did you mean "bake build"');
    expect(run.stderr()).not.toContain("    at ");
  });

  it("suggests the nearest option for a typo", async () => {
    const run = capture();
    expect(await main(["history", "--al"], run.io)).toBe(2);
    expect(run.stderr()).toContain("did you mean --all?");
  });

  it("refuses a wrong number of arguments with the usage line", async () => {
    const run = capture();
    expect(await main(["diff", "one"], run.io)).toBe(2);
    expect(run.stderr()).toContain("usage: bake diff REF REF");
  });

  it("shows help with examples for every command", async () => {
    for (const name of ["init", "validate", "plan", "build", "history", "show", "trace", "fsck", "gc"]) {
      const run = capture();
      expect(await main([name, "--help"], run.io)).toBe(0);
      expect(run.stdout()).toContain("Examples:");
    }
  });
});
