#!/usr/bin/env node
// Bundles the CLI with esbuild (a devDependency) into dist/cli-bundle/: one entry, bake.cjs, holding only what every
// command needs (argv, help, errors), and one chunk per command and per driver, loaded when the command runs.
// Start-up then reads a handful of files instead of hundreds, and `bake --version` reads none.
//
// The chunks are CommonJS. esbuild splits only ES modules, so it bundles to ES module chunks first, and each chunk
// is then turned into a CommonJS one (its imports of other chunks, static or dynamic, become `require`s). Node 20
// loads CommonJS without its ES module loader, and bin/load-bundle.js can keep V8's compiled code for CommonJS
// between runs: Node 20 has no compile cache of its own for either kind.
// tsc's dist/ stays as it is: it is the library the package exports.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";

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
  // .cjs: Node then knows the module kind from the name, without looking for the nearest package.json's "type".
  outExtension: { ".js": ".cjs" },
  external: EXTERNAL,
  plugins: [importMetaUrl],
  legalComments: "none",
  // Smaller files parse faster; identifiers are kept, so an "internal error" stack still names its functions.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  metafile: true,
  write: false,
});
if (result.errors.length > 0) process.exit(1);

// Each ES module chunk becomes a CommonJS one. `import.meta.url` (left by the plugin above) becomes the chunk's own
// file URL. Dynamic imports become `require`s too ("dynamic-import": false), so a command's chunk loads through the
// same CommonJS loader and code cache as the entry; the external packages are all CommonJS.
await mkdir(outdir, { recursive: true });
let bytes = 0;
for (const file of result.outputFiles) {
  const usesUrl = file.text.includes("import.meta.url");
  const { code } = await transform(file.text, {
    format: "cjs",
    platform: "node",
    target: "node20",
    supported: { "dynamic-import": false },
    define: usesUrl ? { "import.meta.url": "__bakeChunkUrl" } : {},
    banner: usesUrl ? 'var __bakeChunkUrl = require("node:url").pathToFileURL(__filename).href;' : "",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
  });
  await writeFile(file.path, code);
  bytes += Buffer.byteLength(code);
}
// Which sources each output file holds: test/cli/startup-loads.test.ts maps the files a command loaded back to them.
await writeFile(join(outdir, "meta.json"), JSON.stringify(result.metafile));

const outputs = Object.keys(result.metafile.outputs);
console.log(
  `bundle-cli: ${relative(root, outdir)}/bake.cjs and ${outputs.length - 1} chunks (${Math.round(bytes / 1024)} KiB) from ${Object.keys(result.metafile.inputs).length} modules`,
);
