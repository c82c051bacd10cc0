#!/usr/bin/env node
// Rewrites dist/recipe/yaml.js (a re-export of the `yaml` package) as one self-contained module, so a cold
// `bake validate` reads one file instead of yaml's ~70. Without rolldown (a production install), it leaves the
// re-export in place, which works the same, only slower to load.
import { rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const target = fileURLToPath(new URL("../dist/recipe/yaml.js", import.meta.url));

let rolldown;
try {
  rolldown = await import("rolldown");
} catch {
  console.log("bundle-yaml: rolldown is not installed; dist/recipe/yaml.js stays a plain re-export");
  process.exit(0);
}
const bundle = await rolldown.rolldown({ input: target, platform: "node", logLevel: "warn" });
const { output } = await bundle.generate({ format: "esm" });
await bundle.close();
const [chunk] = output;
if (chunk?.type !== "chunk" || output.length !== 1)
  throw new Error("bundle-yaml: expected exactly one chunk");
await writeFile(
  `${target}.tmp`,
  `// Bundled from the yaml package by scripts/bundle-yaml.mjs.\n${chunk.code}`,
);
await rename(`${target}.tmp`, target);
console.log(`bundle-yaml: wrote ${target} (${chunk.code.length} bytes)`);
