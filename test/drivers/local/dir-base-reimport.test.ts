import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RACY_WINDOW_NS } from "../../../src/drivers/local/base-fingerprint.js";
import { ensureBuilt, runBake } from "../../helpers/compiled-cli.js";
import { makeBusyboxRootfs } from "./helpers.js";

// A `dir:` base is imported again only when its stat fingerprint changed, or when its timestamps are too close to the
// last import to prove anything (the racy case). Run as a user would: the compiled CLI, in a separate process.

const work = mkdtempSync(join(tmpdir(), "bake-dir-reimport-"));
const motd = join(work, "rootfs/etc/motd");

interface Built {
  notes: string[];
  upToDate: boolean;
  parent: string;
}

async function build(): Promise<Built> {
  const run = await runBake(["build", "recipe.yaml", "--json"], { cwd: work });
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const events = run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const result = events.find((event) => event.type === "result") as {
    upToDate: boolean;
    record: { parent: { external: { id: string } } };
  };
  return {
    notes: events.filter((event) => event.type === "note").map((event) => String(event.message)),
    upToDate: result.upToDate,
    parent: result.record.parent.external.id,
  };
}

const importNotes = (built: Built) => built.notes.filter((note) => note.startsWith("importing dir:"));
const pastRacyWindow = () =>
  new Promise((done) => setTimeout(done, Number(RACY_WINDOW_NS / 1_000_000n) + 200));

describe("a dir: base between builds", () => {
  beforeAll(async () => {
    await ensureBuilt();
    makeBusyboxRootfs(join(work, "rootfs"));
    writeFileSync(motd, "hello\n");
    // Whole seconds, which utimes can put back exactly (it takes a double of seconds: no nanosecond is lost).
    utimesSync(motd, 1_700_000_000, 1_700_000_000);
    writeFileSync(
      join(work, "recipe.yaml"),
      [
        "apiVersion: bake/v1",
        "name: reimport",
        'version: "1.0.0"',
        "from: dir:./rootfs",
        "target: { driver: local, network: none }",
        "layers:",
        "  - name: copy",
        "    steps:",
        "      - run: cp /etc/motd /motd-copy",
        "verify:",
        "  - name: copied",
        "    run: test -f /motd-copy",
        "",
      ].join("\n"),
    );
  }, 300_000);

  it("is imported on the first build, checked once more while racy, then trusted while unchanged", async () => {
    const first = await build();
    expect(importNotes(first)).toEqual([expect.stringContaining("not imported before")]);
    await pastRacyWindow();
    // The tree was written just before the first import's fingerprint: its content is checked, and it is the same.
    const second = await build();
    expect(importNotes(second)).toEqual([expect.stringContaining("content is checked")]);
    expect(second.upToDate).toBe(true);
    expect(second.parent).toBe(first.parent);
    const third = await build();
    expect(importNotes(third)).toEqual([]);
    expect(third.upToDate).toBe(true);
    expect(third.parent).toBe(first.parent);
  }, 300_000);

  it("is imported again after a same-size edit whose mtime was restored, and the build starts from the new import", async () => {
    const before = await build();
    const { size, mtimeNs } = statSync(motd, { bigint: true });
    writeFileSync(motd, "HELLO\n");
    utimesSync(motd, 1_700_000_000, 1_700_000_000);
    const edited = statSync(motd, { bigint: true });
    expect([edited.size, edited.mtimeNs]).toEqual([size, mtimeNs]);
    const after = await build();
    expect(importNotes(after)).toEqual([expect.stringContaining("changed since its last import")]);
    expect(after.upToDate).toBe(false);
    expect(after.parent).not.toBe(before.parent);
    // Right after that import the tree is racy: the next build checks its content and finds the same image.
    const racy = await build();
    expect(importNotes(racy)).toEqual([expect.stringContaining("content is checked")]);
    expect(racy.parent).toBe(after.parent);
    expect(readFileSync(motd, "utf8")).toBe("HELLO\n");
  }, 300_000);
});
