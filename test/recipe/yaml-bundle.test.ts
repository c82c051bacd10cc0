import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, repo } from "../helpers/compiled-cli.js";

// `npm run build` replaces dist/recipe/yaml.js with an esbuild bundle of the yaml package (scripts/bundle-yaml.mjs).
// yaml's Node build is CommonJS: the bundle must still load as an ES module in a plain Node process, as the library.
describe("the bundled yaml module of the library", () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it("is one self-contained file that loads and parses in a fresh Node process", () => {
    const url = pathToFileURL(join(repo, "dist/recipe/yaml.js")).href;
    const script = `const { parseDocument, LineCounter } = await import(${JSON.stringify(url)});
const lines = new LineCounter();
const doc = parseDocument("name: web\\nlayers: [a, b]\\n", { lineCounter: lines });
process.stdout.write(JSON.stringify({ value: doc.toJS(), line: lines.linePos(10).line }));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ value: { name: "web", layers: ["a", "b"] }, line: 2 });
  });
});
