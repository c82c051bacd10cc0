import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import type { Artifact, ResolvedImage } from "../../../src/drivers/driver.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { layer, makeBusyboxRootfs, plan, recordingReporter, run } from "./helpers.js";

const stanza = (name: string, version: string) =>
  `printf 'Package: ${name}\\nVersion: ${version}\\nArchitecture: amd64\\n' > /var/lib/dpkg/status.d/${name}`;

test("reads distroless-style status.d entries through the layers, honouring deletions and opaque directories", async () => {
  const work = mkdtempSync(join(tmpdir(), "bake-inventory-"));
  makeBusyboxRootfs(join(work, "rootfs"));
  const env = { BAKE_STORE: join(work, "store") };
  const ctx = { cwd: work, env, signal: new AbortController().signal, reporter: recordingReporter() };
  const driver = createDriver();
  const layers = [
    layer("one", [
      run(
        ["mkdir -p /var/lib/dpkg/status.d", stanza("a", "1.0"), stanza("b", "1.0"), stanza("c", "1.0")].join(
          " && ",
        ),
      ),
    ]),
    // A whiteout hides b; c moves to a new version in an upper layer.
    layer("two", [run(`rm /var/lib/dpkg/status.d/b && ${stanza("c", "2.0")}`)]),
  ];
  const p = plan({ root: work, layers });
  let image: ResolvedImage | Artifact = await driver.resolve(
    { kind: "external", ref: "dir:./rootfs", scheme: "dir", location: join(work, "rootfs") },
    ctx,
  );
  const inventoryOf = async () =>
    (await driver.inventory?.({ ...ctx, plan: p, image: image as Artifact, runId: "inv" }))?.packages.map(
      (pkg) => `${pkg.name} ${pkg.version}`,
    );
  for (const [index, each] of layers.entries()) {
    image = await driver.bake({
      ...ctx,
      plan: p,
      parent: image,
      layer: each,
      layerIndex: index,
      runId: "inv",
      secrets: {},
    });
    if (index === 0) expect(await inventoryOf()).toEqual(["a 1.0", "b 1.0", "c 1.0"]);
  }
  expect(await inventoryOf()).toEqual(["a 1.0", "c 2.0"]);

  // Replacing the directory makes it opaque: nothing below shows through.
  const three = layer("three", [
    run(`rm -rf /var/lib/dpkg/status.d && mkdir /var/lib/dpkg/status.d && ${stanza("d", "4.0")}`),
  ]);
  const p3 = plan({ root: work, layers: [...layers, three] });
  image = await driver.bake({
    ...ctx,
    plan: p3,
    parent: image,
    layer: three,
    layerIndex: 2,
    runId: "inv",
    secrets: {},
  });
  expect(await inventoryOf()).toEqual(["d 4.0"]);
}, 120_000);
