import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt } from "../../helpers/compiled-cli.js";
import { bakeCli } from "./helpers.js";

// Issue 10.2: `file` and `copy` could not write into a directory that is a symlink, as merged-/usr systems have.

beforeAll(ensureBuilt, 300_000);

/** A merged-/usr root filesystem from the static busybox: /bin -> usr/bin, /lib -> usr/lib, /sbin -> usr/bin. */
function mergedUsrRootfs(dir: string): void {
  for (const sub of ["usr/bin", "usr/lib", "etc", "root", "tmp", "proc", "dev", "opt"]) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  copyFileSync("/bin/busybox", join(dir, "usr/bin/busybox"));
  execFileSync("chmod", ["755", join(dir, "usr/bin/busybox")]);
  for (const name of execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n")) {
    if (name !== "" && name !== "busybox") symlinkSync("busybox", join(dir, "usr/bin", name));
  }
  symlinkSync("usr/bin", join(dir, "bin"));
  symlinkSync("usr/bin", join(dir, "sbin"));
  symlinkSync("usr/lib", join(dir, "lib"));
  // An absolute link (resolved against the image root), a relative one climbing past the root, and a loop.
  symlinkSync("/usr/lib", join(dir, "etc/alt"));
  symlinkSync("../../../../../opt/esc", join(dir, "esc"));
  symlinkSync("loop", join(dir, "loop"));
  writeFileSync(join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(dir, "etc/group"), "root:x:0:\n");
}

function project(recipe: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bake-symlink-dirs-"));
  mergedUsrRootfs(join(dir, "rootfs"));
  mkdirSync(join(dir, "conf"));
  writeFileSync(join(dir, "conf/a.conf"), "a\n");
  writeFileSync(join(dir, "tool.sh"), "#!/bin/sh\necho tool\n", { mode: 0o755 });
  writeFileSync(join(dir, "recipe.yaml"), recipe);
  return dir;
}

describe("file and copy through symlinked directories", () => {
  test("write through /lib -> usr/lib and /bin -> usr/bin of a merged-/usr dir: base, keeping the links", async () => {
    const dir = project(`apiVersion: bake/v1
name: merged-usr
from: dir:./rootfs
target: { driver: local, network: none }
layers:
  - name: files
    steps:
      - file: { path: /lib/app.conf, content: "lib\\n" }
      - file: { path: /bin/hello, content: "#!/bin/sh\\necho hello\\n", mode: "0755" }
      - copy: { from: conf/, to: /lib/conf/ }
      - copy: { from: tool.sh, to: /bin/ }
      - copy: { from: conf/a.conf, to: /lib/ }
      - file: { path: /etc/alt/abs.conf, content: "abs\\n" }
      - file: { path: /esc/x.conf, content: "esc\\n" }
verify:
  - run: test "$(cat /usr/lib/app.conf)" = lib && test "$(hello)" = hello && test "$(tool.sh)" = tool
  - run: test "$(cat /usr/lib/conf/a.conf)" = a && test "$(cat /usr/lib/a.conf)" = a && test "$(cat /usr/lib/abs.conf)" = abs
  - run: test "$(cat /opt/esc/x.conf)" = esc
  - run: test "$(readlink /lib)" = usr/lib && test "$(readlink /bin)" = usr/bin && test "$(readlink /etc/alt)" = /usr/lib
`);
    const result = await bakeCli(["build", "recipe.yaml"], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  }, 120_000);

  test("refuses a symlink loop with a clear error", async () => {
    const dir = project(`apiVersion: bake/v1
name: loop
from: dir:./rootfs
target: { driver: local, network: none }
layers:
  - name: files
    steps:
      - file: { path: /loop/x.conf, content: "x\\n" }
`);
    const result = await bakeCli(["build", "recipe.yaml"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("too many symlinks resolving /loop");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  test("write through symlinked directories on the host base, and refuse the host's own read-only /lib", async () => {
    const dir = project(`apiVersion: bake/v1
name: host-links
from: host
target: { driver: local, network: none }
layers:
  - name: links
    steps:
      - run: mkdir -p /opt/real && ln -s real /opt/link && ln -s /opt/real /opt/abs
  - name: files
    steps:
      - file: { path: /opt/link/a.conf, content: "a\\n" }
      - file: { path: /opt/abs/b.conf, content: "b\\n" }
      - copy: { from: conf/, to: /opt/abs/conf/ }
verify:
  - run: test "$(cat /opt/real/a.conf)" = a && test "$(cat /opt/real/b.conf)" = b && test "$(cat /opt/real/conf/a.conf)" = a
  - run: test -L /opt/link && test -L /opt/abs
`);
    const result = await bakeCli(["build", "recipe.yaml"], { cwd: dir });
    expect(result.code).toBe(0);

    writeFileSync(
      join(dir, "lib.yaml"),
      `apiVersion: bake/v1
name: host-lib
from: host
layers:
  - name: files
    steps:
      - file: { path: /lib/app.conf, content: "x\\n" }
`,
    );
    const refused = await bakeCli(["build", "lib.yaml"], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("/lib is under /lib, the host's own read-only directory on a host base");
  }, 120_000);
});
