// A child process for the concurrency and crash tests: registers records into one manifest and prints
// "ack <id>" after each register() returns. Usage: node register-child.mjs MODULE_DIR MANIFEST CHILD COUNT [BIG]
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";

const [moduleDir, manifestPath, child, countText, big] = process.argv.slice(2);
const { openManifest } = await import(pathToFileURL(`${moduleDir}/manifest/manifest.js`).href);
const digest = (text) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const count = Number(countText);
const manifest = await openManifest(manifestPath, { create: true, env: {}, lockTimeoutMs: 60_000 });
const base = { external: { ref: "docker-archive:./base.tar", id: digest("base") } };
// Big records make a write take long enough for a kill to land in the middle of it now and then.
const filler = big ? "x".repeat(Number(big)) : undefined;

for (let i = 0; count === 0 || i < count; i++) {
  const seed = `${child}-${i}`;
  const layer = await manifest.register({
    kind: "layer",
    lineage: "shared",
    version: "1.0.0",
    parent: base,
    driver: "local",
    artifact: digest(`layer ${seed}`),
    recipeDigest: digest("recipe"),
    layer: { name: "app", inputsDigest: digest(`inputs ${seed}`), cacheKey: digest(`key ${seed}`) },
    ...(filler ? { details: { filler } } : {}),
  });
  process.stdout.write(`ack ${layer.id}\n`);
  const image = await manifest.register({
    kind: "image",
    lineage: "shared",
    version: `1.0.${i}`,
    parent: base,
    driver: "local",
    artifact: digest(`image ${seed}`),
    recipeDigest: digest("recipe"),
    layers: [
      {
        name: "app",
        inputsDigest: layer.layer.inputsDigest,
        cacheKey: layer.layer.cacheKey,
        record: layer.id,
        artifact: layer.artifact,
      },
    ],
    labels: { child: String(child) },
  });
  process.stdout.write(`ack ${image.id}\n`);
}
