import { describe, expect, it } from "vitest";
import { ciInfo } from "../../src/manifest/ci.js";
import { manifestPath } from "../../src/manifest/location.js";

describe("CI information", () => {
  it("reads each provider's run id and commit", () => {
    expect(ciInfo({ GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "7", GITHUB_SHA: "abc" })).toEqual({
      provider: "github-actions",
      runId: "7",
      commit: "abc",
    });
    expect(ciInfo({ GITLAB_CI: "true", CI_PIPELINE_ID: "8", CI_COMMIT_SHA: "def" })).toEqual({
      provider: "gitlab-ci",
      runId: "8",
      commit: "def",
    });
    expect(ciInfo({ BUILDKITE: "true", BUILDKITE_BUILD_ID: "9", BUILDKITE_COMMIT: "123" })).toEqual({
      provider: "buildkite",
      runId: "9",
      commit: "123",
    });
    expect(ciInfo({ CIRCLECI: "true", CIRCLE_BUILD_NUM: "10", CIRCLE_SHA1: "456" })).toEqual({
      provider: "circleci",
      runId: "10",
      commit: "456",
    });
  });

  it("falls back to a generic CI and to nothing outside CI", () => {
    expect(ciInfo({ CI: "1" })).toEqual({ provider: "ci" });
    expect(ciInfo({ CI: "false" })).toBeUndefined();
    expect(ciInfo({})).toBeUndefined();
  });
});

describe("manifest location", () => {
  it("prefers --manifest, then BAKE_MANIFEST, then bake.lineage.jsonl in the current directory", () => {
    const env = { BAKE_MANIFEST: "ci/lineage.jsonl" };
    expect(manifestPath({ flag: "/abs/m.jsonl", env, cwd: "/work" })).toBe("/abs/m.jsonl");
    expect(manifestPath({ env, cwd: "/work" })).toBe("/work/ci/lineage.jsonl");
    expect(manifestPath({ env: {}, cwd: "/work" })).toBe("/work/bake.lineage.jsonl");
    expect(manifestPath({ flag: "", env: { BAKE_MANIFEST: " " }, cwd: "/w" })).toBe("/w/bake.lineage.jsonl");
  });
});
