import { execFileSync, spawn } from "node:child_process";
import { expect, test } from "vitest";
import { processAlive, processStartTime } from "../../../src/drivers/local/store.js";

// bake gc keeps what a live run uses and removes what a dead run left. A run killed with SIGKILL stays a zombie until
// its parent reaps it; it holds nothing, so gc must see it as dead, whenever its parent gets round to waiting.

test("a zombie counts as gone, while its live parent and this process count as alive", async () => {
  // `true` exits at once; its parent then execs `sleep`, which never waits for it, so it stays a zombie meanwhile.
  const parent = spawn("sh", ["-c", "true & echo $!; exec sleep 30"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    const pid = Number(
      await new Promise<string>((done) => parent.stdout.once("data", (chunk) => done(String(chunk)))),
    );
    let state = "";
    for (let i = 0; i < 100 && state !== "Z"; i++) {
      state = execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" })
        .trim()
        .charAt(0);
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
