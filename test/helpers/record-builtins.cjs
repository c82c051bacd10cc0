// Preloaded with `node --require` by tests: at exit, appends to the file named by BAKE_RECORD_BUILTINS the name of
// every Node module the process loaded after this preload (from process.moduleLoadList), one per line. CommonJS
// and no loader hook on purpose: a hook's worker would load modules of its own on the main thread.
"use strict";
const { appendFileSync } = require("node:fs");

const file = process.env.BAKE_RECORD_BUILTINS;
if (file) {
  const before = new Set(process.moduleLoadList);
  process.once("exit", () => {
    const loaded = process.moduleLoadList
      .filter((name) => !before.has(name) && name.startsWith("NativeModule "))
      .map((name) => `${name.slice("NativeModule ".length)}\n`);
    appendFileSync(file, loaded.join(""));
  });
}
