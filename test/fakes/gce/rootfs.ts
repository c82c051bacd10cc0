import { execFileSync } from "node:child_process";
import { copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

const BUSYBOX = "/usr/bin/busybox";

/**
 * Writes a tiny root filesystem (static busybox and its applets, a root user) that the fake boots as a public
 * base image: real enough to run a startup script, small enough to make per test.
 */
export async function makeBaseRootfs(dir: string): Promise<void> {
  for (const sub of ["bin", "etc", "root", "tmp", "proc", "dev", "var/log", "usr/bin", "opt"]) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  await copyFile(BUSYBOX, join(dir, "bin/busybox"));
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) {
    if (applet !== "busybox") await symlink("busybox", join(dir, "bin", applet));
  }
  await writeFile(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
  );
  await writeFile(join(dir, "etc/group"), "root:x:0:\napp:x:1000:\n");
  await writeFile(join(dir, "etc/os-release"), 'PRETTY_NAME="fake debian (busybox)"\nID=debian\n');
}
