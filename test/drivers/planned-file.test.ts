import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPlannedFile } from "../../src/drivers/planned-file.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bake-planned-file-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

describe("a file a copy step carries", () => {
  it("is read with its digest when it is the one the plan hashed", async () => {
    const file = join(dir, "same.txt");
    await writeFile(file, "planned");
    const read = await readPlannedFile(file, { digest: sha("planned"), hint: "run it again" });
    expect({ content: read.content.toString(), digest: read.digest }).toEqual({
      content: "planned",
      digest: sha("planned"),
    });
  });

  it("is refused with copy-changed and the caller's hint when it changed after the plan", async () => {
    const file = join(dir, "edited.txt");
    await writeFile(file, "edited since");
    await expect(
      readPlannedFile(file, { digest: sha("planned"), hint: "run it again" }),
    ).rejects.toMatchObject({
      code: "copy-changed",
      message: `${file} changed after the plan was made`,
      hint: "run it again",
    });
  });
});
