import { existsSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";

describe("bake fsck", () => {
  it("exits 0 with a summary on an intact manifest", async () => {
    const fleet = await fleetDir();
    const run = await runBake(["fsck"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "ok: 6 images, 2 layer records, 3 events in 2 lineages (12 lines, format 1.0); every id matches its content and the chain is intact\n",
    );
  });

  it("exits 1 naming the edited record and its line", async () => {
    const fleet = await fleetDir();
    const lines = readFileSync(fleet.path, "utf8").split("\n");
    lines[5] = (lines[5] as string).replace('"team":"heroes"', '"team":"villains"');
    writeFileSync(fleet.path, lines.join("\n"));
    const run = await runBake(["fsck"], { cwd: fleet.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${fleet.path}:6: record ${fleet.web1.id.slice(7, 19)} (line 6) was edited`);
    expect(run.stdout).toContain("2 problems in");
    const json = JSON.parse((await runBake(["fsck", "--json"], { cwd: fleet.dir })).stdout);
    expect(json.ok).toBe(false);
    expect(json.problems[0]).toMatchObject({ line: 6, id: fleet.web1.id, code: "id-mismatch" });
  });

  it("keeps a last line that only lost its newline: fsck notes it, history shows it, the next write completes it", async () => {
    const fleet = await fleetDir();
    // A history first, so a history cache and a chain checkpoint exist.
    expect((await runBake(["history"], { cwd: fleet.dir })).code).toBe(0);
    const bytes = readFileSync(fleet.path);
    // What an editor or a git merge does to the file: the final "\n" goes.
    truncateSync(fleet.path, bytes.length - 1);

    const fsck = await runBake(["fsck"], { cwd: fleet.dir });
    expect(fsck.code).toBe(0);
    expect(fsck.stdout).toContain(`note: ${fleet.path}:12 is a whole line without its final newline`);
    expect(fsck.stdout).toContain("ok: 6 images, 2 layer records, 3 events in 2 lineages (12 lines");
    expect(fsck.stdout).not.toContain("torn");
    const history = await runBake(["history", "web"], { cwd: fleet.dir });
    expect(history.stderr).toBe("");
    expect(history.stdout).toMatch(/#3 .*\[canary\]/);

    const promote = await runBake(["promote", "base#1", "beta"], { cwd: fleet.dir });
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stderr).toBe("");
    expect(existsSync(`${fleet.path}.torn`)).toBe(false);
    // Every byte is still there, the missing newline added, and the new event after it.
    const after = readFileSync(fleet.path);
    expect(after.subarray(0, bytes.length)).toEqual(bytes);
    expect(after.toString("utf8", bytes.length)).toMatch(/^\{"at":.*"channel":"beta".*\}\n$/);
    const again = await runBake(["fsck", "--json"], { cwd: fleet.dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, lines: 13, events: 4 });
    expect(JSON.parse(again.stdout).unterminated).toBeUndefined();
    expect((await runBake(["history", "web"], { cwd: fleet.dir })).stdout).toMatch(/#3 .*\[canary\]/);
  });

  it("says when the .torn file holds whole lines an older bake moved there", async () => {
    const fleet = await fleetDir();
    const last = readFileSync(fleet.path, "utf8").split("\n")[11] as string;
    writeFileSync(`${fleet.path}.torn`, `${last}\n`);
    const run = await runBake(["fsck"], { cwd: fleet.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1 of its lines are whole records or events, not torn writes");
    expect(run.stdout).not.toContain("never acknowledged");
  });
});
