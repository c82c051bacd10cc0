#!/usr/bin/env node
// The CLI as bundled by scripts/bundle-cli.mjs (npm run build): one entry file, and one chunk per command loaded
// only when that command runs. The library in dist/ is tsc's output, for imports.
import { main } from "../dist/cli-bundle/bake.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
