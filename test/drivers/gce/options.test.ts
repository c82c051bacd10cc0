import { describe, expect, test } from "vitest";
import { apiFailure, callError, isTransient } from "../../../src/drivers/gce/call.js";
import { formatImageId, parseImageId, parseImageReference } from "../../../src/drivers/gce/image-ref.js";
import { createDriver } from "../../../src/drivers/gce/index.js";
import { labelValue, resourceName } from "../../../src/drivers/gce/labels.js";
import { parseGceOptions } from "../../../src/drivers/gce/options.js";

describe("gce target options", () => {
  test("apply defaults to a minimal target", () => {
    const { options, errors } = parseGceOptions({ project: "my-project", zone: "europe-west1-b" });
    expect(errors).toEqual([]);
    expect(options).toMatchObject({
      machineType: "e2-standard-2",
      diskType: "pd-balanced",
      buildTimeoutMs: 30 * 60_000,
      maxRunDurationS: 40 * 60,
      externalIp: true,
      labels: {},
    });
  });

  test("prepare reports every problem, with a suggestion for a misspelt option", () => {
    const result = createDriver().prepare({
      driver: "gce",
      options: {
        project: "X",
        zone: "moon",
        machinType: "e2-small",
        diskSizeGb: 5,
        labels: { "bake-run": "x", Team: "a" },
        buildTimeout: "soon",
      },
    });
    expect(result.errors).toEqual([
      'unknown gce option "machinType" (did you mean "machineType"?)',
      'gce project "X" is not a valid project id',
      'gce zone "moon" is not a zone name such as "us-central1-a"',
      'gce option "diskSizeGb" must be a whole number of at least 10',
      'gce label "bake-run" is reserved for bake',
      'gce label "Team" must start with a lowercase letter',
      'gce option "buildTimeout" must be a duration such as "90s", "30m" or "2h"',
    ]);
  });

  test("requires a project and a zone, which commands without a recipe take from the environment", () => {
    expect(parseGceOptions({}).errors).toEqual([
      'gce option "project" is required (for example "my-project")',
      'gce option "zone" is required (for example "us-central1-a")',
    ]);
    const fromEnv = parseGceOptions({}, { BAKE_GCE_PROJECT: "env-project", BAKE_GCE_ZONE: "us-east1-b" });
    expect(fromEnv.options).toMatchObject({ project: "env-project", zone: "us-east1-b" });
  });

  test("takes the endpoint from BAKE_GCE_ENDPOINT over the option, and tuning from the environment", () => {
    const { options } = parseGceOptions(
      { project: "my-project", zone: "us-central1-a", endpoint: "http://127.0.0.1:1" },
      { BAKE_GCE_ENDPOINT: "http://127.0.0.1:9", BAKE_GCE_POLL_INTERVAL: "50ms" },
    );
    expect(options?.endpoint).toBe("http://127.0.0.1:9");
    expect(options?.pollIntervalMs).toBe(50);
    expect(
      parseGceOptions({ project: "my-project", zone: "us-central1-a", endpoint: "ftp://x" }).errors,
    ).toEqual(['gce endpoint "ftp://x" must look like http://127.0.0.1:8080']);
  });
});

describe("image references and ids", () => {
  test("reads families, names and self links", () => {
    expect(parseImageReference("projects/debian-cloud/global/images/family/debian-12")).toEqual({
      project: "debian-cloud",
      family: "debian-12",
    });
    expect(
      parseImageReference("https://www.googleapis.com/compute/v1/projects/p-1/global/images/web-2-4-0"),
    ).toEqual({ project: "p-1", name: "web-2-4-0" });
    expect(parseImageReference("projects/p/zones/z/disks/d")).toBeUndefined();
  });

  test("round-trips an exact image id with its numeric id", () => {
    const id = formatImageId({ project: "p", name: "web-1", numericId: "1234567890123456789" });
    expect(id).toBe("projects/p/global/images/web-1@1234567890123456789");
    expect(parseImageId(id)).toEqual({ project: "p", name: "web-1", numericId: "1234567890123456789" });
    expect(parseImageId("sha256:abc")).toBeUndefined();
  });

  test("makes label values and resource names Compute Engine accepts", () => {
    expect(labelValue("2.4.0+Build.7")).toBe("2-4-0-build-7");
    const name = resourceName(["9-lives", "x".repeat(80)]);
    expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});

describe("API failures", () => {
  test("reads status, message and reason from a REST error body", () => {
    const error = Object.assign(
      new Error(
        JSON.stringify({
          error: { code: 403, message: "Quota 'CPUS' exceeded.", errors: [{ reason: "quotaExceeded" }] },
        }),
      ),
      { status: 403 },
    );
    expect(apiFailure(error)).toEqual({
      status: 403,
      message: "Quota 'CPUS' exceeded.",
      reason: "quotaExceeded",
    });
    expect(isTransient(apiFailure(error))).toBe(false);
    const failure = callError("instances.insert", error);
    expect(failure.message).toBe(
      "Compute Engine call instances.insert failed (HTTP 403 quotaExceeded): Quota 'CPUS' exceeded.",
    );
    expect(failure.exitCode).toBe(1);
  });

  test("treats throttling, server errors and broken connections as transient", () => {
    expect(isTransient({ status: 429, message: "" })).toBe(true);
    expect(isTransient({ status: 503, message: "" })).toBe(true);
    expect(isTransient({ message: "socket hang up" })).toBe(true);
    expect(isTransient({ status: 404, message: "" })).toBe(false);
  });
});
