// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL strings spell ${...} literally.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { captureIO } from "../../helpers/capture-io.js";
import { havePacker } from "./tools.js";

const recipe = path.resolve(import.meta.dirname, "../../fixtures/packer/two-layer/recipe.yaml");
const SECRET = "emit-secret-value-93";

let out: string;
beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), "bake-emit-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function capture() {
  return captureIO({ cwd: path.dirname(recipe), env: { PATH: process.env.PATH, BAKE_VAR_token: SECRET } });
}

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe("bake plan --emit packer", () => {
  it("writes one template per layer and one for verify, and says how to build them", async () => {
    const run = capture();
    expect(await main(["plan", recipe, "--emit", "packer", out], run.io)).toBe(0);
    const templates = (await readdir(out)).filter((name) => name.endsWith(".pkr.json")).sort();
    expect(templates).toEqual(["01-base.pkr.json", "02-app.pkr.json", "verify.pkr.json"]);
    expect(run.stdout()).toContain("packer build -var bake_parent=IMAGE_ID");
    expect(run.stdout()).toContain("PKR_VAR_token");
  });

  it("never writes a secret value into any emitted file", async () => {
    const files = await allFiles(out);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect(await readFile(file, "utf8")).not.toContain(SECRET);
  });

  it("accepts --out DIR and refuses another format", async () => {
    const other = path.join(out, "via-out");
    expect(await main(["plan", recipe, "--emit", "packer", "--out", other], capture().io)).toBe(0);
    expect((await readdir(other)).filter((name) => name.endsWith(".pkr.json"))).toHaveLength(3);
    const wrong = capture();
    expect(await main(["plan", recipe, "--emit", "terraform", out], wrong.io)).toBe(2);
    expect(wrong.stderr()).toContain('cannot emit "terraform"');
  });

  it.skipIf(!havePacker() && !process.env.CI)("passes real packer validate for every template", async () => {
    const templates = (await readdir(out)).filter((name) => name.endsWith(".pkr.json"));
    for (const template of templates) {
      // Later layers start from the image the previous template made; validate needs some id for it.
      const result = await execa("packer", ["validate", "-var", "bake_parent=sha256:0123", template], {
        cwd: out,
        env: { PKR_VAR_token: "any", CHECKPOINT_DISABLE: "1" },
        reject: false,
      });
      expect({
        template,
        exitCode: result.exitCode,
        output: `${result.stdout}${result.stderr}`,
      }).toMatchObject({
        template,
        exitCode: 0,
      });
    }
  });

  it.skipIf(!havePacker() && !process.env.CI)(
    "relies on a validate that can fail: Packer rejects a template with a broken reference",
    async () => {
      const file = path.join(out, "02-app.pkr.json");
      const text = await readFile(file, "utf8");
      const broken = path.join(out, "broken.pkr.json");
      await writeFile(broken, text.replace('"${path.root}/', '"${path.nope}/'));
      const result = await execa("packer", ["validate", "-var", "bake_parent=x", broken], {
        cwd: out,
        env: { PKR_VAR_token: "any", CHECKPOINT_DISABLE: "1" },
        reject: false,
      });
      await rm(broken);
      expect(result.exitCode).not.toBe(0);
    },
  );
});
