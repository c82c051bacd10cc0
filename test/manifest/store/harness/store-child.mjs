// A child process for the store drills: registers COUNT images into one lineage at LOCATION, promoting every
// fifth, and prints "ack <id>" after each write returns (that is, once it is durable).
// Usage: node store-child.mjs MODULE_DIR LOCATION CHILD COUNT
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";

const [moduleDir, location, child, countText] = process.argv.slice(2);
const { openManifest } = await import(pathToFileURL(`${moduleDir}/manifest/manifest.js`).href);
const digest = (text) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const count = Number(countText);
const manifest = await openManifest(location, { create: true, env: {}, lockTimeoutMs: 300_000 });
const base = { external: { ref: "docker-archive:./base.tar", id: digest("base") } };

try {
  for (let i = 0; count === 0 || i < count; i++) {
    const seed = `${child}-${i}`;
    const image = await manifest.register({
      kind: "image",
      lineage: "shared",
      version: `1.0.${i}`,
      parent: base,
      driver: "local",
      artifact: digest(`image ${seed}`),
      recipeDigest: digest("recipe"),
      layers: [],
      labels: { child: String(child) },
    });
    process.stdout.write(`ack ${image.id}\n`);
    if (i % 5 === 4) {
      const event = await manifest.appendEvent({ event: "promote", target: image.id, channel: `c${child}` });
      process.stdout.write(`ack ${event.id}\n`);
    }
  }
} catch (error) {
  process.stderr.write(`${error.code ?? "error"}: ${error.message}\n`);
  process.exit(2);
}
