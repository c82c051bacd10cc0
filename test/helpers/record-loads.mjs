// Preloaded with `node --import` by tests: appends the URL of every module the process loads to the file named by
// BAKE_RECORD_LOADS, so a test can say what a command loaded. ES modules are seen by a loader hook (it runs on
// Node's loader thread); CommonJS ones (the CLI bundle's chunks, and packages they require) by wrapping
// `Module.prototype.load`, which Node calls once for each CommonJS file it loads.
import { appendFileSync } from "node:fs";
import Module, { register } from "node:module";
import { pathToFileURL } from "node:url";

const file = process.env.BAKE_RECORD_LOADS;
if (file) {
  register("./record-loads-hooks.mjs", import.meta.url, { data: { file } });
  const load = Module.prototype.load;
  Module.prototype.load = function recordLoad(filename) {
    appendFileSync(file, `${pathToFileURL(filename).href}\n`);
    return load.call(this, filename);
  };
}
