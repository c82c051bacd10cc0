import { describe, expect, test } from "vitest";
import {
  hostPlatform,
  parsePlatform,
  pickPlatform,
} from "../../../../src/drivers/local/registry/platform.js";
import { parseRegistryReference } from "../../../../src/drivers/local/registry/reference.js";
import { BakeError } from "../../../../src/errors.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("registry references", () => {
  test.each([
    ["registry.example:5000/team/base:1.2", { name: "registry.example:5000/team/base", tag: "1.2" }],
    ["registry.example:5000/team/base", { name: "registry.example:5000/team/base", tag: "latest" }],
    ["debian:12-slim", { name: "debian", tag: "12-slim" }],
    [`127.0.0.1:5000/base@${DIGEST}`, { name: "127.0.0.1:5000/base", digest: DIGEST }],
    [`127.0.0.1:5000/base:1@${DIGEST}`, { name: "127.0.0.1:5000/base", digest: DIGEST }],
  ])("splits %s into name and tag or digest", (location, expected) => {
    expect(parseRegistryReference(`docker://${location}`, location)).toEqual({
      ref: `docker://${location}`,
      ...expected,
    });
  });

  test("refuses a pin that is not a sha256 digest, saying how to write one", () => {
    const error = (() => {
      try {
        parseRegistryReference("docker://r/base@sha256:abc", "r/base@sha256:abc");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(BakeError);
    expect((error as BakeError).code).toBe("parent-invalid");
    expect((error as BakeError).hint).toContain("@sha256:<64 hex digits>");
  });
});

describe("platforms", () => {
  const manifests = [
    {
      mediaType: "m",
      digest: "sha256:1",
      size: 1,
      platform: { os: "linux", architecture: "arm", variant: "v7" },
    },
    {
      mediaType: "m",
      digest: "sha256:2",
      size: 1,
      platform: { os: "linux", architecture: "arm64", variant: "v8" },
    },
    { mediaType: "m", digest: "sha256:3", size: 1, platform: { os: "linux", architecture: "amd64" } },
  ];

  test("picks the entry for os and architecture, and the variant only when one is asked for", () => {
    const wanted = parsePlatform("linux/arm64");
    expect(wanted).toEqual({ os: "linux", architecture: "arm64" });
    expect(pickPlatform({ manifests, wanted: wanted as never, ref: "r" }).digest).toBe("sha256:2");
    expect(
      pickPlatform({ manifests, wanted: { os: "linux", architecture: "arm", variant: "v7" }, ref: "r" })
        .digest,
    ).toBe("sha256:1");
    expect(hostPlatform().os).toBe("linux");
  });

  test("lists what an index has when it has nothing for the platform", () => {
    expect(() =>
      pickPlatform({ manifests, wanted: { os: "linux", architecture: "s390x" }, ref: "docker://r/x:1" }),
    ).toThrow(/has no image for linux\/s390x \(it has linux\/arm\/v7, linux\/arm64\/v8, linux\/amd64\)/);
    expect(parsePlatform("linux")).toBeUndefined();
  });
});
