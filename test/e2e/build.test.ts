import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_RECIPE, BASE_RECIPE, INSTALL_SH, ofType, Project } from "./project.js";

// One project for the whole file: each build below starts from the store and manifest the one before left.
let project: Project;

beforeAll(async () => {
  project = await Project.create();
  await project.write("base/recipe.yaml", BASE_RECIPE);
  await project.write("app/recipe.yaml", APP_RECIPE);
  await project.write("app/src/install.sh", INSTALL_SH);
  await project.write("app/src/hello.txt", "hello v1\n");
});

afterAll(async () => {
  await project?.remove();
});

describe("bake build with the local driver and real sandboxes", () => {
  it("builds a two-layer image on a lineage parent, verifies it on a fresh sandbox and registers it", async () => {
    const base = await project.build("base/recipe.yaml");
    expect(base.code, base.stderr).toBe(0);

    const app = await project.build("app/recipe.yaml");
    expect(app.code, app.stderr).toBe(0);
    expect(ofType(app.events, "step-started").map((e) => `${e.layer}:${e.step}`)).toEqual([
      "runtime:0",
      "app:0",
      "app:1",
    ]);
    expect(ofType(app.events, "check-finished").map((e) => e.ok)).toEqual([true, true]);

    const [baseImage] = await project.images("e2e-base");
    const [appImage, ...more] = await project.images("e2e-app");
    expect(more).toEqual([]);
    expect(appImage?.parent).toEqual({ record: baseImage?.id });
    expect(appImage?.details?.parentRef).toBe("e2e-base");
    expect(appImage?.layers?.map((layer) => layer.name)).toEqual(["runtime", "app"]);
    expect(appImage?.verify?.ok).toBe(true);
    expect(appImage?.verify?.checks.map((check) => check.name)).toEqual([
      "installed with the version",
      "base is below",
    ]);
    const layers = (await project.records()).filter((r) => r.kind === "layer" && r.lineage === "e2e-app");
    expect(layers.map((r) => r.layer?.name)).toEqual(["runtime", "app"]);
    expect(await project.leftovers()).toEqual({ temps: [], runs: [], mounts: [] });
  });

  it("re-runs only the app layer when only its inputs change", async () => {
    const [before] = await project.images("e2e-app");
    await project.write("app/src/hello.txt", "hello v2\n");
    const run = await project.build("app/recipe.yaml");
    expect(run.code).toBe(0);

    // Step executions: the runtime layer's step ran zero times, the app layer's two steps once each.
    expect(ofType(run.events, "step-started").map((e) => `${e.layer}:${e.step}`)).toEqual(["app:0", "app:1"]);
    const images = await project.images("e2e-app");
    const after = images.at(-1);
    expect(after?.build).toBe(2);
    // The runtime layer (which wrote a random stamp) is the very same artifact and record as before.
    expect(after?.layers?.[0]).toEqual(before?.layers?.[0]);
    expect(after?.layers?.[1]?.artifact).not.toBe(before?.layers?.[1]?.artifact);
  });

  it("launches no sandbox when nothing changed", async () => {
    const recordsBefore = (await project.records()).length;
    const run = await project.build("app/recipe.yaml");
    expect(run.code).toBe(0);
    expect(ofType(run.events, "up-to-date")).toHaveLength(1);
    const launched = run.events.filter((e) =>
      ["step-started", "verify-started", "check-started", "output"].includes(e.type),
    );
    expect(launched).toEqual([]);
    expect((await project.records()).length).toBe(recordsBefore);
    expect(JSON.parse(run.stdout.trimEnd().split("\n").at(-1) ?? "{}")).toMatchObject({
      type: "result",
      upToDate: true,
      bakedLayers: [],
      cachedLayers: ["runtime", "app"],
    });
  });

  it("fails on a failing step with exit 1, naming the layer and step with its last output, leaving no record or sandbox", async () => {
    await project.write(
      "broken/recipe.yaml",
      `apiVersion: bake/v1
name: e2e-broken
from: e2e-base
layers:
  - name: tools
    steps:
      - run: mkdir -p /opt/tools
  - name: deploy
    steps:
      - run: echo "unpacking release"; echo "disk quota exceeded" >&2; exit 3
`,
    );
    const run = await project.build("broken/recipe.yaml");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('layer "deploy", step 1');
    expect(run.stderr).toContain("disk quota exceeded");
    expect(run.stderr).not.toContain("    at ");
    expect(await project.images("e2e-broken")).toEqual([]);
    expect(await project.leftovers()).toEqual({ temps: [], runs: [], mounts: [] });
  });

  it("fails on a failing check with exit 1, naming the check, leaving no image record or sandbox", async () => {
    await project.write(
      "unverified/recipe.yaml",
      `apiVersion: bake/v1
name: e2e-unverified
from: e2e-base
layers:
  - name: app
    steps:
      - run: mkdir -p /opt/svc && echo 1 > /opt/svc/config
verify:
  - name: config has the port
    run: grep -q port= /opt/svc/config
`,
    );
    const run = await project.build("unverified/recipe.yaml");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('check "config has the port" failed');
    expect(await project.images("e2e-unverified")).toEqual([]);
    expect(await project.leftovers()).toEqual({ temps: [], runs: [], mounts: [] });
  });

  it("never executes a variable holding a command substitution", async () => {
    await rm("/tmp/owned", { force: true });
    await project.write(
      "hostile/recipe.yaml",
      `apiVersion: bake/v1
name: e2e-hostile
version: "1.0.0"
from: e2e-base
vars:
  greeting: { type: string, default: hi }
layers:
  - name: app
    steps:
      - run: printf '%s' "$GREETING" > /opt/greeting; test ! -e /tmp/owned
        env: { GREETING: "\${vars.greeting}" }
      - file: { path: /opt/greeting-file, content: "\${vars.greeting}" }
verify:
  - run: test "$(cat /opt/greeting)" = "$GREETING" && test ! -e /tmp/owned
    env: { GREETING: "\${vars.greeting}" }
  - file: { path: /opt/greeting-file, contains: "$(touch /tmp/owned)" }
`,
    );
    const run = await project.build("hostile/recipe.yaml", "--var", "greeting=$(touch /tmp/owned)");
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync("/tmp/owned")).toBe(false);
    const [image] = await project.images("e2e-hostile");
    expect(image?.verify?.checks.every((check) => check.ok)).toBe(true);
  });
});
