import { describe, expect, it } from "vitest";
import { createDriver } from "../../../src/drivers/packer/index.js";

const driver = createDriver();
const prepare = (options: Record<string, unknown>) => driver.prepare({ driver: "packer", options });

describe("packer target options", () => {
  it("accepts a known builder with pass-through source options", () => {
    expect(prepare({ builder: "docker", source: { privileged: true } })).toEqual({
      warnings: [],
      errors: [],
    });
    expect(prepare({ builder: "googlecompute", source: { project_id: "p", zone: "z" } }).errors).toEqual([]);
  });

  it("needs a builder type", () => {
    expect(prepare({}).errors[0]).toMatch(/^target.builder: name the Packer builder type/);
  });

  it("needs the parent field for a builder bake does not know, and takes it when named", () => {
    expect(prepare({ builder: "vmware-vmx" }).errors[0]).toMatch(/target.parentField: .*"vmware-vmx"/);
    expect(prepare({ builder: "vmware-vmx", parentField: "source_path" }).errors).toEqual([]);
  });

  it("refuses a parent image in the source options, since bake pins it from `from:`", () => {
    expect(prepare({ builder: "docker", source: { image: "debian:12" } }).errors[0]).toMatch(
      /target.source.image: bake sets the parent image itself/,
    );
  });

  it("refuses docker options that would not keep the layer's image", () => {
    expect(prepare({ builder: "docker", source: { discard: true } }).errors[0]).toMatch(
      /target.source.discard/,
    );
  });

  it("warns when a custom docker run_command gives builds network access", () => {
    const result = prepare({ builder: "docker", source: { run_command: ["-d", "-t", "--", "{{.Image}}"] } });
    expect(result.errors).toEqual([]);
    expect(result.warnings[0]).toMatch(/network access/);
  });

  it("suggests the right name for a misspelt option", () => {
    expect(prepare({ builder: "docker", sources: {} }).errors[0]).toMatch(/did you mean "source"/);
  });
});
