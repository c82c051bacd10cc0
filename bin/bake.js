#!/usr/bin/env node
// The `bake` command. CommonJS on purpose (bin/package.json): Node starts a CommonJS entry without its ES module
// loader, which would be most of what `bake --version` costs over `node -e 0`. Everything else is the CLI bundle
// (scripts/bundle-cli.mjs, built by `npm run build`): an entry that holds the argument parsing, and one CommonJS
// chunk per command, loaded when that command runs, with V8's compiled code kept between runs (load-bundle.js).
"use strict";

const argv = process.argv.slice(2);
if (argv[0] === "--version" || argv[0] === "-V") {
  // The same answer as main()'s (src/version.ts reads this file too). Written with write(2): process.stdout would
  // load Node's stream stack first (src/util/fd-out.ts says more). Output that cannot be written (a closed reader,
  // a full disk) ends it quietly with 141, as main() does.
  const line = `bake ${require("../package.json").version}\n`;
  try {
    require("node:fs").writeSync(1, line);
  } catch (error) {
    if (error.code === "EAGAIN") process.stdout.write(line);
    else process.exitCode = 141;
  }
} else {
  const bundle = require("node:path").join(__dirname, "..", "dist", "cli-bundle");
  let main;
  try {
    ({ main } = require("./load-bundle.js").loadBundle(bundle, argv[0]));
  } catch (error) {
    // main() turns every error into an exit code; only a missing or broken bundle gets here.
    process.stderr.write(
      `error: cannot load bake's CLI bundle: ${error instanceof Error ? error.message : String(error)}\n  hint: run \`npm run build\` in bake's directory\n`,
    );
    process.exitCode = 1;
  }
  main?.(argv).then((code) => {
    process.exitCode = code;
  });
}
