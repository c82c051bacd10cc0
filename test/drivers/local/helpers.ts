import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const APPLETS = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" })
  .split("\n")
  .filter((name) => name !== "" && name !== "busybox");

/** Makes a tiny offline rootfs from the static busybox: /bin/busybox, one symlink per applet, passwd and group. */
export function makeBusyboxRootfs(dir: string = mkdtempSync(join(tmpdir(), "bake-rootfs-"))): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  for (const name of ["etc", "root", "tmp", "proc", "dev", "usr/bin", "var"]) {
    mkdirSync(join(dir, name), { recursive: true });
  }
  copyFileSync("/bin/busybox", join(dir, "bin/busybox"));
  execFileSync("chmod", ["755", join(dir, "bin/busybox")]);
  for (const name of APPLETS) symlinkSync("busybox", join(dir, "bin", name));
  writeFileSync(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
  );
  writeFileSync(join(dir, "etc/group"), "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n");
  writeFileSync(join(dir, "etc/base-release"), "busybox fixture\n");
  return dir;
}
