import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { resolveImageUser } from "../../../src/drivers/local/image-fs.js";
import { BakeError } from "../../../src/errors.js";
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

// The recipe's ids are checked at validate time; a name resolves to whatever the image's /etc/passwd says, where
// `Number("")` is 0 and 4294967296 wraps to 0 in the kernel: both ran the step as root.
describe("ids from the image's /etc/passwd and /etc/group", () => {
  const view = () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-passwd-"));
    mkdirSync(join(dir, "etc"));
    writeFileSync(
      join(dir, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nwrap:x:4294967296:0::/:/bin/sh\nblank:x::0::/:/bin/sh\nbadgid:x:1001:99999999999::/:/bin/sh\n",
    );
    writeFileSync(join(dir, "etc/group"), "root:x:0:\napp:x:1000:\nwide:x:4294967295:\n");
    return { dirs: [dir] };
  };

  test("resolves names and numbers within range", async () => {
    expect(await resolveImageUser(view(), "app")).toEqual({ uid: 1000, gid: 1000, home: "/home/app" });
    expect(await resolveImageUser(view(), "4294967294:app")).toEqual({
      uid: 4_294_967_294,
      gid: 1000,
      home: "/",
    });
  });

  test.each([
    ["wrap", 'uid 4294967296 in the image\'s /etc/passwd entry for user "wrap" is out of range'],
    ["blank", 'the image\'s /etc/passwd entry for user "blank" has uid ""'],
    ["badgid", 'gid 99999999999 in the image\'s /etc/passwd entry for user "badgid" is out of range'],
    ["app:wide", 'gid 4294967295 in the image\'s /etc/group entry for group "wide" is out of range'],
    ["4294967296", 'uid 4294967296 in user "4294967296" is out of range'],
    ["0:4294967295", 'gid 4294967295 in user "0:4294967295" is out of range'],
  ])("refuses %s rather than run as a wrapped-around id", async (spec, message) => {
    const error = await resolveImageUser(view(), spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BakeError);
    expect((error as BakeError).message).toContain(message);
  });

  test("refuses a build whose user has a uid past 32 bits in the image, exit 2, before running the step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bake-users-"));
    const rootfs = makeBusyboxRootfs(join(dir, "rootfs"));
    writeFileSync(
      join(rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nwrap:x:4294967296:0::/:/bin/sh\n",
    );
    writeFileSync(
      join(dir, "recipe.yaml"),
      `apiVersion: bake/v1
name: users
from: dir:./rootfs
target: { driver: local, network: none }
layers:
  - name: wrap
    steps:
      - run: id -u > /uid
        user: wrap
`,
    );
    const result = await bakeCli(["build", "recipe.yaml"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('uid 4294967296 in the image\'s /etc/passwd entry for user "wrap"');
    expect(result.stderr).not.toContain("    at ");
  }, 120_000);
});
