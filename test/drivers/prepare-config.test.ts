import { describe, expect, test } from "vitest";
import { createDriver as gce } from "../../src/drivers/gce/index.js";
import { createDriver as local } from "../../src/drivers/local/index.js";
import { createDriver as packer } from "../../src/drivers/packer/index.js";

const config = { cmd: ["httpd", "-f"], stopSignal: "SIGQUIT" };

describe("prepare() and a recipe's config:", () => {
  test("gce warns that a VM image has no container runtime config", () => {
    const result = gce().prepare(
      { driver: "gce", options: { project: "p", zone: "europe-west1-b" } },
      { config },
    );
    expect(result.warnings.join("\n")).toMatch(/config: gce images have no container runtime config/);
    const without = gce().prepare({ driver: "gce", options: { project: "p", zone: "europe-west1-b" } }, {});
    expect(without.warnings.join("\n")).not.toMatch(/config/);
  });

  test("packer warns for machine-image builders, a stop signal docker cannot commit, and source.changes", () => {
    const prepare = (options: Record<string, unknown>) =>
      packer().prepare({ driver: "packer", options }, { config }).warnings.join("\n");
    expect(prepare({ builder: "googlecompute", source: { project_id: "p", zone: "z" } })).toMatch(
      /googlecompute builder makes machine images/,
    );
    expect(prepare({ builder: "docker" })).toMatch(
      /config\.stopSignal: docker commit cannot set a stop signal/,
    );
    expect(prepare({ builder: "docker", source: { changes: ["USER app"] } })).toMatch(
      /source\.changes is set and replaces/,
    );
  });

  test("local applies all of it, without a warning", () => {
    expect(local().prepare({ driver: "local", options: {} }, { config })).toEqual({
      warnings: [],
      errors: [],
    });
  });
});
