import { describe, expect, it } from "vitest";
import { displayLocation, manifestPath, parseLocation } from "../../../src/manifest/location.js";

describe("manifest locations", () => {
  it("reads a path as the file store, relative to the working directory", () => {
    expect(parseLocation("ci/lineage.jsonl", "/work")).toEqual({
      kind: "file",
      path: "/work/ci/lineage.jsonl",
      display: "/work/ci/lineage.jsonl",
    });
    expect(manifestPath({ env: {}, cwd: "/work" })).toBe("/work/bake.lineage.jsonl");
  });

  it("reads a git URL as a branch of a remote, bake/lineage unless the fragment names one", () => {
    expect(parseLocation("git+file:///srv/lineage.git")).toEqual({
      kind: "git",
      remote: "file:///srv/lineage.git",
      branch: "bake/lineage",
      display: "git+file:///srv/lineage.git#bake/lineage",
    });
    expect(parseLocation("git+ssh://git@host/org/repo.git#ci/lineage")).toMatchObject({
      remote: "ssh://git@host/org/repo.git",
      branch: "ci/lineage",
    });
  });

  it("keeps store URLs as given when they come from BAKE_MANIFEST", () => {
    expect(manifestPath({ env: { BAKE_MANIFEST: "postgres://db/x" }, cwd: "/work" })).toBe("postgres://db/x");
  });

  it("refuses a git URL with a password rather than put it on git's command line", () => {
    expect(() => parseLocation("git+https://bot:tok3n@git.example.com/x.git")).toThrow(
      expect.objectContaining({
        code: "store-location-invalid",
        message: expect.not.stringContaining("tok3n"),
      }),
    );
  });

  it("reads a PostgreSQL URL, takes bake's schema parameter out of it, and shows it without the password", () => {
    const location = parseLocation("postgres://bake:pw@db:5432/infra?sslmode=require&schema=lineage");
    expect(location).toEqual({
      kind: "postgres",
      url: "postgres://bake:pw@db:5432/infra?sslmode=require",
      schema: "lineage",
      display: "postgres://bake@db:5432/infra?sslmode=require&schema=lineage",
    });
    expect(displayLocation("postgresql://bake:pw@db/infra")).toBe("postgresql://bake@db/infra?schema=bake");
  });

  it("refuses a schema name that is not a plain identifier", () => {
    expect(() => parseLocation('postgres://db/x?schema=a"b')).toThrow(
      expect.objectContaining({ code: "store-location-invalid" }),
    );
  });
});
