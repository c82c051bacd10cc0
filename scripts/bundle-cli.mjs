#!/usr/bin/env node
// Bundles the CLI with esbuild (a devDependency) into dist/cli-bundle/: one entry, bake.js, holding only what every
// command needs (argv, help, errors), and one chunk per command and per driver, loaded by the command's own
// `import()`. Start-up then reads a handful of files instead of hundreds, and `bake --version` reads one.
// tsc's dist/ stays as it is: it is the library the package exports.
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = join(root, "dist/cli-bundle");
const source = join(root, "src");

// Loaded through createRequire or meant to stay optional: the Google client (gce only), pg (PostgreSQL stores only,
// with its optional native binding) and the CycloneDX library (sbom only) resolve from node_modules when used.
const EXTERNAL = [
  "@google-cloud/compute",
  "google-auth-library",
  "pg",
  "pg-native",
  "@cyclonedx/cyclonedx-library",
];

// A source file that finds a sibling through `import.meta.url` (package.json, schemas/, templates/) would look
// beside the bundle instead: give it the URL its tsc output in dist/ has, which sits at the same depth as its source.
const importMetaUrl = {
  name: "import-meta-url",
  setup(bundler) {
    bundler.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url") || !args.path.startsWith(source + sep)) return undefined;
      const compiled = join(root, "dist", relative(source, args.path)).replace(/\.ts$/, ".js");
      const fromBundle = relative(outdir, compiled).split(sep).join("/");
      const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", url), loader: "ts" };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { bake: join(source, "cli/main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Beside the entry, so a URL the plugin below computes is right for every file.
  chunkNames: "[name]-[hash]",
  external: EXTERNAL,
  plugins: [importMetaUrl],
  // Bundled CommonJS dependencies (execa's cross-spawn, listr2's) call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __bakeRequire } from "node:module"; const require = __bakeRequire(import.meta.url);',
  },
  legalComments: "none",
  // Smaller files parse faster; identifiers are kept, so an "internal error" stack still names its functions.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  metafile: true,
});
if (result.errors.length > 0) process.exit(1);
// Which sources each output file holds: test/cli/startup-loads.test.ts maps the files a command loaded back to them.
await writeFile(join(outdir, "meta.json"), JSON.stringify(result.metafile));

const outputs = Object.keys(result.metafile.outputs);
let bytes = 0;
for (const file of outputs) bytes += (await stat(join(root, file))).size;
console.log(
  `bundle-cli: ${relative(root, outdir)}/bake.js and ${outputs.length - 1} chunks (${Math.round(bytes / 1024)} KiB) from ${Object.keys(result.metafile.inputs).length} modules`,
);
