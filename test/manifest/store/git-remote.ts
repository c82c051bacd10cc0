import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./postgres-cluster.js";

/** A fresh bare repository to serve as a lineage remote, and a private cache dir for bake's side. */
export function bareRemote(): { dir: string; repo: string; location: string; cacheDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "bake-git-"));
  const repo = join(dir, "remote.git");
  execFileSync("git", ["init", "--bare", "--quiet", repo]);
  return { dir, repo, location: `git+file://${repo}#bake/lineage`, cacheDir: join(dir, "cache") };
}

/** Makes the remote refuse every push with a pre-receive hook, as a protected branch would. */
export function refuseEveryPush(repo: string): void {
  const hook = join(repo, "hooks", "pre-receive");
  writeFileSync(hook, "#!/bin/sh\necho 'bake/lineage is protected' >&2\nexit 1\n");
  chmodSync(hook, 0o755);
}

/** Serves `base`'s repositories with `git daemon --enable=receive-pack` on 127.0.0.1; returns the git:// base URL. */
export async function gitDaemon(base: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const daemon = spawn(
    "git",
    [
      "daemon",
      "--reuseaddr",
      "--export-all",
      "--enable=receive-pack",
      `--base-path=${base}`,
      "--listen=127.0.0.1",
      `--port=${port}`,
      base,
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync("git", ["ls-remote", `git://127.0.0.1:${port}/remote.git`], { stdio: "ignore" });
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url: `git://127.0.0.1:${port}`, stop: () => daemon.kill() };
}
