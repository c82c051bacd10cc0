import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repo } from "../helpers/compiled-cli.js";

describe("the API documentation", () => {
  // typedoc.json sets treatWarningsAsErrors: an exported type that refers to an unexported one, a broken
  // {@link}, or a missing entry point fails the run.
  it("generates from the TSDoc of every entry point without a warning", async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["node_modules/typedoc/bin/typedoc", "--emit", "none"],
      { cwd: repo },
    );
    expect(`${stdout}${stderr}`).not.toMatch(/\[warning\]|\[error\]/);
  }, 300_000);
});
