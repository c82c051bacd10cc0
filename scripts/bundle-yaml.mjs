#!/usr/bin/env node
// Rewrites dist/recipe/yaml.js (a re-export of the `yaml` package) as one self-contained module, so the library's
// recipe loader reads one file instead of yaml's ~70. esbuild is a devDependency: without it the build fails here
// rather than shipping the slower re-export unnoticed. (The CLI bundle, scripts/bundle-cli.mjs, inlines yaml itself.)
import { rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const target = fileURLToPath(new URL("../dist/recipe/yaml.js", import.meta.url));

const result = await build({
  entryPoints: [target],
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  write: false,
  // yaml's Node build is CommonJS and requires Node's `process`: give the ES module a require() to do it with.
  banner: {
    js: 'import { createRequire as __bakeRequire } from "node:module"; const require = __bakeRequire(import.meta.url);',
  },
  legalComments: "none",
  logLevel: "warning",
});
const [file] = result.outputFiles;
if (!file || result.outputFiles.length !== 1)
  throw new Error("bundle-yaml: expected exactly one output file");
await writeFile(
  `${target}.tmp`,
  `// Bundled from the yaml package by scripts/bundle-yaml.mjs.\n${file.text}`,
);
await rename(`${target}.tmp`, target);
console.log(`bundle-yaml: wrote ${target} (${file.text.length} bytes)`);
