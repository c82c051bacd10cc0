import { describe, expect, it } from "vitest";
import { fleetDir, runBake } from "../manifest/cli-helpers.js";
import { damageManifest, SHAPE_DAMAGES } from "../manifest/damage.js";

describe("a manifest line with a field of the wrong type", () => {
  for (const damage of SHAPE_DAMAGES) {
    for (const forged of [false, true]) {
      const how = forged ? "with a forged chain" : "edited by hand";
      it(`with ${damage.what}, ${how}: readers warn, writers exit 2 and fsck exits 1, each naming line ${damage.line}`, async () => {
        const fleet = await fleetDir();
        await runBake(["deprecate", "web#1", "--reason", "old"], { cwd: fleet.dir });
        // A history first, so a history cache and a chain checkpoint exist.
        expect((await runBake(["history"], { cwd: fleet.dir })).code).toBe(0);
        damageManifest(fleet.path, damage, { forged });
        const named = new RegExp(`bake\\.lineage\\.jsonl:? line ${damage.line}\\b`);
        for (const args of [
          ["history"],
          ["history", "--json"],
          ["history", "--all"],
          ["show", "web#1"],
          ["show", "web#1", "--json"],
          ["trace", "web#1"],
          ["diff", "web#1", "web#3"],
        ]) {
          const run = await runBake(args, { cwd: fleet.dir });
          expect(run.stderr, args.join(" ")).not.toContain("internal error");
          expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
          expect(run.stderr, args.join(" ")).toMatch(named);
        }
        const promote = await runBake(["promote", "web#1", "prod"], { cwd: fleet.dir });
        expect(promote.stderr).not.toContain("internal error");
        expect(promote.code, promote.stderr).toBe(2);
        expect(promote.stderr).toMatch(new RegExp(`error: .*line ${damage.line}\\b`));
        const fsck = await runBake(["fsck"], { cwd: fleet.dir });
        expect(fsck.code, fsck.stderr).toBe(1);
        expect(fsck.stderr).toBe("");
        expect(fsck.stdout).toMatch(
          new RegExp(`bake\\.lineage\\.jsonl:${damage.line}: .*\\(line ${damage.line}\\): `),
        );
      });
    }
  }
});
