// Preloaded with `node --import` by tests: registers a loader hook that appends the URL of every ES module the
// process loads to the file named by BAKE_RECORD_LOADS, so a test can say what a command loaded.
import { register } from "node:module";

const file = process.env.BAKE_RECORD_LOADS;
if (file) register("./record-loads-hooks.mjs", import.meta.url, { data: { file } });
