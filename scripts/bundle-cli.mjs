#!/usr/bin/env node
// Bundles the CLI with esbuild (a devDependency) into dist/cli-bundle/: one entry, bake.cjs, holding only what every
// command needs (argv, help, errors), and one file per command and per driver, loaded when the command runs.
// Start-up then reads a handful of files instead of hundreds, and `bake --version` reads none.
//
// The files are CommonJS. esbuild splits only ES modules, so it bundles to ES module chunks first, and each chunk
// is then turned into a CommonJS one (its imports of other chunks, static or dynamic, become `require`s). Node 20
// loads CommonJS without its ES module loader, and bin/load-bundle.js can keep V8's compiled code for CommonJS
// between runs: Node 20 has no compile cache of its own for either kind.
//
// esbuild's splitting makes a chunk for every set of entries that share code: dozens of small chunks, which a
// command would load one file (and one code cache entry) at a time. So the chunks are packed: each file written
// holds, as one function per chunk, a chunk that something loads with import() (or the entry) together with every
// chunk it requires statically, which are loaded with it anyway. bin/load-bundle.js runs a chunk's function when
// the chunk is first required, as Node would run the chunk's file, so what runs, and when, is as before.
// tsc's dist/ stays as it is: it is the library the package exports.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";
import { re2jsPatch } from "./re2js-patch.mjs";

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
  absWorkingDir: root,
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
  plugins: [importMetaUrl, re2jsPatch],
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
const chunks = new Map();
for (const file of result.outputFiles) {
  const usesUrl = file.text.includes("import.meta.url");
  const { code } = await transform(file.text, {
    format: "cjs",
    platform: "node",
    target: "node20",
    supported: { "dynamic-import": false },
    define: usesUrl ? { "import.meta.url": "__bakeChunk.url" } : {},
    // Computed when asked for: most chunks that mention it never do at start-up.
    banner: usesUrl
      ? 'var __bakeChunk = { get url() { return require("node:url").pathToFileURL(__filename).href; } };'
      : "",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
  });
  chunks.set(relative(root, file.path), code);
}

const outputs = result.metafile.outputs;
const importsOf = (chunk, kind) =>
  outputs[chunk].imports.filter((item) => item.kind === kind && !item.external).map((item) => item.path);
const entry = relative(root, join(outdir, "bake.cjs"));

// Each file starts from a root: the entry, a chunk loaded with import(), or a large chunk that more than one root
// requires (copied into each, it would make the package several times larger for little gain). A file holds its
// root and what the root requires statically, up to other roots, which are loaded from their own files.
const roots = new Set([entry]);
for (const chunk of Object.keys(outputs))
  for (const target of importsOf(chunk, "dynamic-import")) roots.add(target);
const SHARED_ALONE_BYTES = 16 * 1024;
/** The chunks the file of `start` holds: it, and what it requires statically, up to other roots. */
function members(start) {
  const found = new Set();
  const visit = (chunk) => {
    if (found.has(chunk) || (chunk !== start && roots.has(chunk))) return;
    found.add(chunk);
    for (const dependency of importsOf(chunk, "import-statement")) visit(dependency);
  };
  visit(start);
  return found;
}
for (let settled = false; !settled; ) {
  settled = true;
  const holders = new Map();
  for (const start of roots)
    for (const chunk of members(start)) holders.set(chunk, (holders.get(chunk) ?? 0) + 1);
  for (const [chunk, count] of holders)
    if (count > 1 && chunks.get(chunk).length > SHARED_ALONE_BYTES) {
      roots.add(chunk);
      settled = false;
    }
}
// What the entry requires is loaded before anything else: no other file needs to carry it.
const loadedFirst = members(entry);
const packs = {};
let bytes = 0;
await mkdir(outdir, { recursive: true });
for (const start of roots) {
  const held = [...members(start)].filter((chunk) => start === entry || !loadedFirst.has(chunk));
  const text = `module.exports={${held
    .map(
      (chunk) =>
        `${JSON.stringify(chunk.slice(chunk.lastIndexOf("/") + 1))}:function(exports,require,module,__filename,__dirname){${chunks.get(chunk)}\n}`,
    )
    .join(",\n")}};\n`;
  await writeFile(join(root, start), text);
  bytes += Buffer.byteLength(text);
  const inputs = {};
  for (const chunk of held) Object.assign(inputs, outputs[chunk].inputs);
  packs[start] = { inputs, chunks: held };
}
// Which sources each file holds: test/cli/startup-loads.test.ts maps the files a command loaded back to them.
await writeFile(
  join(outdir, "meta.json"),
  JSON.stringify({ inputs: result.metafile.inputs, outputs: packs }),
);

console.log(
  `bundle-cli: ${relative(root, outdir)}/bake.cjs and ${roots.size - 1} more files (${Math.round(bytes / 1024)} KiB) packing ${chunks.size} chunks of ${Object.keys(result.metafile.inputs).length} modules`,
);
