import { spawn, spawnSync } from "node:child_process";
import { expect, test } from "vitest";
import { processAlive, processStartTime } from "../../../src/drivers/local/store.js";

// bake gc keeps what a live run uses and removes what a dead run left. A run killed with SIGKILL stays a zombie until
// its parent reaps it; it holds nothing, so gc must see it as dead, whenever its parent gets round to waiting.

test("a zombie counts as gone, while its live parent and this process count as alive", async () => {
  // The child exits after 2 s; by then its parent has exec'd `sleep`, which never waits for it, so it stays a zombie.
  // (A child that exits at once may be reaped by the shell before the exec.)
  const parent = spawn("sh", ["-c", "sleep 2 & echo $!; exec sleep 60"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    const pid = Number(
      await new Promise<string>((done) => parent.stdout.once("data", (chunk) => done(String(chunk)))),
    );
    let state = "";
    for (let i = 0; i < 750 && state !== "Z"; i++) {
      const ps = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" });
      expect(ps.status, `process ${pid} is gone: its parent reaped it before the exec`).toBe(0);
      state = ps.stdout.trim().charAt(0);
      if (state !== "Z") await new Promise((done) => setTimeout(done, 20));
    }
    expect(state).toBe("Z");
    expect(processAlive(pid)).toBe(false);
    expect(processStartTime(pid)).toBeUndefined();
    expect(processAlive(parent.pid as number)).toBe(true);
    expect(processStartTime(parent.pid as number)).toMatch(/^\d+$/);
    expect(processAlive(process.pid)).toBe(true);
  } finally {
    parent.kill("SIGKILL");
  }
});
