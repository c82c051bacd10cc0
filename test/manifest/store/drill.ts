import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const child = join(dirname(fileURLToPath(import.meta.url)), "harness/store-child.mjs");

/** What one drill child did: its exit, the ids it was told are durable, and its stderr. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  acks: string[];
  stderr: string;
}

/**
 * Starts a child that registers `count` images (0: until killed) into `location`. `killAfterMs` SIGKILLs it that
 * long after it starts; `killAfterAckMs` that long after its first acknowledged write (so the kill lands mid-loop).
 */
export function runStoreChild(options: {
  moduleDir: string;
  location: string;
  index: number;
  count: number;
  env?: Record<string, string>;
  killAfterMs?: number;
  killAfterAckMs?: number;
}): Promise<ChildRun> {
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      [child, options.moduleDir, options.location, String(options.index), String(options.count)],
      { env: { ...process.env, ...options.env } },
    );
    let stdout = "";
    let stderr = "";
    let ackTimer: NodeJS.Timeout | undefined;
    proc.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (options.killAfterAckMs !== undefined && ackTimer === undefined && stdout.includes("ack ")) {
        ackTimer = setTimeout(() => proc.kill("SIGKILL"), options.killAfterAckMs);
      }
    });
    proc.stderr.on("data", (chunk) => (stderr += chunk));
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => proc.kill("SIGKILL"), options.killAfterMs);
    proc.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (ackTimer) clearTimeout(ackTimer);
      resolve({
        code,
        signal,
        // Only complete lines count: a kill may cut the last one.
        acks: stdout
          .split("\n")
          .slice(0, -1)
          .filter((line) => line.startsWith("ack "))
          .map((line) => line.slice(4)),
        stderr,
      });
    });
  });
}
