import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt } from "../../helpers/compiled-cli.js";
import { bakeCli, makeBusyboxRootfs } from "./helpers.js";

// Issue 10.3: `user: nobody` failed on the host base, whose /etc/passwd the sandbox binds from the host.

beforeAll(ensureBuilt, 300_000);

const bases = [
  { name: "the host base", from: "host" },
  { name: "a dir: base", from: "dir:./rootfs" },
];

describe("users and groups as the sandbox sees them", () => {
  test.each(bases)(
    "runs steps and checks as nobody, gives files to nobody and checks /etc/passwd on $name",
    async ({ from }) => {
      const dir = mkdtempSync(join(tmpdir(), "bake-users-"));
      makeBusyboxRootfs(join(dir, "rootfs"));
      writeFileSync(
        join(dir, "recipe.yaml"),
        `apiVersion: bake/v1
name: users
from: ${from}
target: { driver: local, network: none }
layers:
  - name: out
    steps:
      - run: mkdir -p /opt/out && chmod 777 /opt/out
  - name: as-nobody
    steps:
      - run: id -u > /opt/out/uid && id -g > /opt/out/gid
        user: nobody
      - file: { path: /opt/out/owned, content: "x\\n", owner: "nobody" }
verify:
  - run: test "$(cat /opt/out/uid)" = 65534 && test "$(cat /opt/out/gid)" = 65534
  - run: test "$(stat -c %u:%g /opt/out/owned)" = 65534:65534 && test "$(stat -c %u /opt/out/uid)" = 65534
  - run: test "$(id -u)" = 65534
    user: nobody
  - file: { path: /etc/passwd, contains: "nobody:x:65534:" }
`,
      );
      const result = await bakeCli(["build", "recipe.yaml"], { cwd: dir });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    },
    120_000,
  );

  test("still names a user the sandbox's /etc/passwd lacks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-users-"));
    writeFileSync(
      join(dir, "recipe.yaml"),
      `apiVersion: bake/v1
name: users
from: host
layers:
  - name: ghost
    steps:
      - run: "true"
        user: no-such-user-here
`,
    );
    const result = await bakeCli(["build", "recipe.yaml"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`user "no-such-user-here" does not exist in the image's /etc/passwd`);
  }, 120_000);
});
