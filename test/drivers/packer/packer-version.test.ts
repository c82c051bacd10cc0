import { describe, expect, it } from "vitest";
import {
  checkVersion,
  packerVersion,
  parsePackerVersion,
} from "../../../src/drivers/packer/packer-version.js";
import { BakeError } from "../../../src/errors.js";

describe("Packer versions", () => {
  it("reads the version from old and new `packer version` output", () => {
    expect(parsePackerVersion("Packer v1.6.6\n")).toEqual({ major: 1, minor: 6, patch: 6 });
    expect(
      parsePackerVersion(
        "Packer v1.11.2\n\nYour version of Packer is out of date! The latest version\nis 1.12.0.",
      ),
    ).toEqual({ major: 1, minor: 11, patch: 2 });
    expect(parsePackerVersion("Terraform v1.7.0")).toBeUndefined();
  });

  it("accepts 1.6 and later, comparing numerically", () => {
    expect(checkVersion("Packer v1.6.0", "packer")).toBe("1.6.0");
    expect(checkVersion("Packer v1.10.3", "packer")).toBe("1.10.3");
    expect(checkVersion("Packer v2.0.0", "packer")).toBe("2.0.0");
  });

  it("refuses a Packer too old for HCL2 JSON templates, with the install hint", () => {
    let caught: unknown;
    try {
      checkVersion("Packer v1.5.6", "/opt/old/packer");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BakeError);
    expect((caught as BakeError).code).toBe("packer-too-old");
    expect((caught as BakeError).message).toContain("Packer 1.5.6 is too old");
    expect((caught as BakeError).hint).toContain("apt-get install packer");
    expect((caught as BakeError).hint).toContain("releases.hashicorp.com");
  });

  it("says how to install Packer when the binary does not exist", async () => {
    const attempt = packerVersion({
      packerPath: "/nonexistent/bin/packer",
      env: { PATH: "/usr/bin:/bin" },
      cwd: "/",
    });
    await expect(attempt).rejects.toMatchObject({
      code: "packer-missing",
      exitCode: 2,
      hint: expect.stringContaining("apt-get install packer"),
    });
  });
});
