import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookUpRef, resolveRef } from "../../src/cli/resolve-ref.js";
import { BakeError } from "../../src/errors.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { Project } from "../e2e/project.js";
import { type CliRun, ensureBuilt, runBake } from "../helpers/compiled-cli.js";
import { buildFleet, tempManifest } from "../manifest/helpers.js";

// Regression for issue 10.4: `bake export sha256:<record id>` (as `bake history --json` prints it) answered
// "not in the local store": the id was taken for an artifact id before the manifest was asked.
const RECIPE = `apiVersion: bake/v1
name: refs
version: "1.0.0"
from: host
target: { driver: local, network: none }
layers:
  - name: app
    steps:
      - run: mkdir -p /opt/refs && echo refs > /opt/refs/marker
`;

let project: Project;
let recordId: string;
let artifactId: string;

const bake = (...args: string[]): Promise<CliRun> => runBake(args, { cwd: project.dir, env: { CI: "true" } });

beforeAll(async () => {
  await ensureBuilt();
  project = await Project.create();
  await project.write("recipe.yaml", RECIPE);
  const build = await bake("build", "recipe.yaml");
  expect(build.code, build.stderr).toBe(0);
  const history = JSON.parse((await bake("history", "--json")).stdout) as {
    lineages: { lineage: string; entries: { id: string; kind: string }[] }[];
  };
  recordId = history.lineages.find((l) => l.lineage === "refs")?.entries[0]?.id ?? "";
  expect(recordId).toMatch(/^sha256:[0-9a-f]{64}$/);
  const show = JSON.parse((await bake("show", recordId, "--json")).stdout) as {
    record: { artifact: string };
  };
  artifactId = show.record.artifact;
  expect(artifactId).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(artifactId).not.toBe(recordId);
  const promote = await bake("promote", recordId, "stable");
  expect(promote.code, promote.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await project?.remove();
});

describe("bake export takes every form of REF", () => {
  const cases: [string, () => string][] = [
    ["a full record id from bake history --json", () => recordId],
    ["a record id prefix", () => recordId.slice(7, 19)],
    ["LINEAGE@CHANNEL", () => "refs@stable"],
    ["LINEAGE#BUILD", () => "refs#1"],
    ["a raw artifact digest", () => artifactId],
  ];
  for (const [form, ref] of cases) {
    it(`exports by ${form}`, async () => {
      const file = `${form.replace(/\W+/g, "-")}.tar`;
      const run = await bake("export", ref(), "-o", file);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^wrote .*\.tar \(oci-archive, /);
      expect(existsSync(join(project.dir, file))).toBe(true);
    }, 120_000);
  }

  it("refuses an unknown ref, naming the form it read and what it tried, in order", async () => {
    const digest = `sha256:${"e".repeat(64)}`;
    const unknown = await bake("export", digest, "-o", "x.tar");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`nothing matches "${digest}": bake read it as a full id`);
    expect(unknown.stderr).toMatch(/1\. the records of .*bake\.lineage\.jsonl: no record has the id/);
    expect(unknown.stderr).toContain(
      `2. a push (publish event) or a record's artifact with the digest ${digest}: none`,
    );
    expect(unknown.stderr).toMatch(/3\. the local store .*: no image sha256:e+/);
    expect(unknown.stderr).toContain("hint: a REF is tried as, in order:");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);

    const lineage = await bake("export", "refz@stable", "-o", "x.tar");
    expect(lineage.code).toBe(2);
    expect(lineage.stderr).toContain("bake read it as LINEAGE@CHANNEL or LINEAGE@VERSION");
    expect(lineage.stderr).toContain('did you mean "refs"?');
    expect(existsSync(join(project.dir, "x.tar"))).toBe(false);
  }, 120_000);
});

describe("the other REF-taking commands share the lookup", () => {
  it("show, trace and diff find the image a raw artifact digest names", async () => {
    const show = await bake("show", artifactId, "--json");
    expect(show.code, show.stderr).toBe(0);
    expect((JSON.parse(show.stdout) as { record: { id: string } }).record.id).toBe(recordId);
    expect((await bake("trace", artifactId)).code).toBe(0);
    expect((await bake("diff", artifactId, "refs@stable")).code).toBe(0);
  }, 120_000);
});

describe("the REF lookup", () => {
  async function fleet() {
    const manifest = await openManifest(tempManifest().path, { create: true, env: {} });
    return { manifest, ...(await buildFleet(manifest)) };
  }

  function failure(run: () => unknown): BakeError {
    try {
      run();
    } catch (error) {
      if (error instanceof BakeError) return error;
      throw error;
    }
    throw new Error("expected a BakeError");
  }

  it("asks the manifest first, then takes a full digest as the artifact of an image record", async () => {
    const { manifest, web2, base3 } = await fleet();
    expect(resolveRef(manifest, web2.id).id).toBe(web2.id);
    expect(resolveRef(manifest, web2.id.slice(7, 19)).id).toBe(web2.id);
    expect(resolveRef(manifest, "base@stable").id).toBe(base3.id);
    expect(resolveRef(manifest, web2.artifact).id).toBe(web2.id);
    expect(lookUpRef(manifest, web2.artifact).tried).toHaveLength(1);
  });

  it("names the form it read the text as", async () => {
    const { manifest } = await fleet();
    const cases: [string, string][] = [
      ["web#99", "LINEAGE#BUILD"],
      ["web@nightly", "LINEAGE@CHANNEL or LINEAGE@VERSION"],
      ["abcdef12", "a lineage name, or else a record id prefix"],
      ["sha256:abcdef12", "a record id prefix"],
      ["webb", "a lineage name (its newest active image)"],
      ["Web!", "none of the forms of a REF"],
    ];
    for (const [ref, form] of cases) {
      const error = failure(() => resolveRef(manifest, ref));
      expect(error.code).toBe("ref-not-found");
      expect(error.message).toBe(`nothing matches "${ref}": bake read it as ${form}`);
      expect(error.detail).toMatch(/^tried, in order:\n {2}1\. the records of /);
    }
    expect(failure(() => resolveRef(manifest, "webb")).hint).toBe('did you mean "web"?');
  });
});
