import { describe, expect, it } from "vitest";
import { BakeError } from "../../src/errors.js";
import { parseParent } from "../../src/plan/parent.js";

const root = "/work/recipes/web";

describe("parseParent", () => {
  it.each([
    ["base", "base"],
    ["base@stable", "base"],
    ["base@2.4.0", "base"],
    ["marvel-base#12", "marvel-base"],
  ])("reads %s as a lineage reference", (ref, lineage) => {
    expect(parseParent(ref, root)).toEqual({ kind: "lineage", ref, lineage });
  });

  it("reads scratch and host as external parents without a location", () => {
    expect(parseParent("scratch", root)).toEqual({
      kind: "external",
      ref: "scratch",
      scheme: "scratch",
      location: "",
    });
    expect(parseParent("host", root)).toEqual({
      kind: "external",
      ref: "host",
      scheme: "host",
      location: "",
    });
  });

  it.each([
    ["oci-archive:./base.tar", "oci-archive", "/work/recipes/web/base.tar"],
    ["docker-archive:../images/base.tar", "docker-archive", "/work/recipes/images/base.tar"],
    ["dir:rootfs", "dir", "/work/recipes/web/rootfs"],
    ["dir:/srv/rootfs", "dir", "/srv/rootfs"],
  ])("resolves the path of %s against the recipe root", (ref, scheme, location) => {
    expect(parseParent(ref, root)).toEqual({ kind: "external", ref, scheme, location });
  });

  it("keeps gce and docker references as written after the scheme", () => {
    expect(parseParent("gce:projects/debian-cloud/global/images/family/debian-12", root)).toEqual({
      kind: "external",
      ref: "gce:projects/debian-cloud/global/images/family/debian-12",
      scheme: "gce",
      location: "projects/debian-cloud/global/images/family/debian-12",
    });
    expect(parseParent("docker://debian:12-slim", root)).toEqual({
      kind: "external",
      ref: "docker://debian:12-slim",
      scheme: "docker",
      location: "debian:12-slim",
    });
  });

  it("suggests the nearest scheme for a typo", () => {
    const error = catchError(() => parseParent("oci-archiv:./base.tar", root));
    expect(error.code).toBe("parent-invalid");
    expect(error.hint).toContain('did you mean "oci-archive:"');
  });

  it.each(["Base", "base@", "base#x", "-base", ""])("refuses the malformed reference %j", (ref) => {
    expect(catchError(() => parseParent(ref, root)).code).toBe("parent-invalid");
  });

  it("refuses a scheme with nothing after it", () => {
    expect(catchError(() => parseParent("dir:", root)).message).toContain("nothing after the scheme");
    expect(catchError(() => parseParent("docker://", root)).hint).toContain("docker://IMAGE:TAG");
  });
});

function catchError(action: () => unknown): BakeError {
  try {
    action();
  } catch (error) {
    if (error instanceof BakeError) return error;
    throw error;
  }
  throw new Error("expected a BakeError");
}
