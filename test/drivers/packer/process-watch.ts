import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What a process-list watch saw: how often it looked, the lines that held a needle, and lines matching `seen`. */
export interface ProcessWatch {
  samples: number;
  /** Process arguments that contained one of the needles (should stay empty). */
  leaks: string[];
  /** How many samples had a process whose arguments match each `seen` pattern (proves the window was covered). */
  seen: Record<string, number>;
  /** The distinct first capture groups of each `seen` pattern, across all samples. */
  captured: Record<string, Set<string>>;
}

/**
 * Samples the whole process list of every user, as `ps -eo args` and as `/proc/PID/cmdline`, every `everyMs`
 * until `until` settles, and collects every argument list that contains one of `needles`.
 */
export async function watchProcesses<T>(input: {
  needles: string[];
  seen: Record<string, RegExp>;
  until: Promise<T>;
  everyMs?: number;
}): Promise<ProcessWatch & { result: T }> {
  let done = false;
  const settled = input.until.finally(() => {
    done = true;
  });
  const watch: ProcessWatch = { samples: 0, leaks: [], seen: {}, captured: {} };
  for (const name of Object.keys(input.seen)) {
    watch.seen[name] = 0;
    watch.captured[name] = new Set();
  }
  while (!done) {
    const lines = [...(await psArgs()), ...(await procCmdlines())];
    watch.samples++;
    for (const line of lines) {
      if (input.needles.some((needle) => line.includes(needle))) watch.leaks.push(line);
    }
    for (const [name, pattern] of Object.entries(input.seen)) {
      const matches = lines.map((line) => pattern.exec(line)).filter((match) => match !== null);
      if (matches.length > 0) watch.seen[name] = (watch.seen[name] ?? 0) + 1;
      for (const match of matches) if (match[1] !== undefined) watch.captured[name]?.add(match[1]);
    }
    await new Promise((resolve) => setTimeout(resolve, input.everyMs ?? 100));
  }
  return { ...watch, result: await settled };
}

async function psArgs(): Promise<string[]> {
  const { stdout } = await run("ps", ["-eo", "args", "--no-headers", "-ww"], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split("\n").filter(Boolean);
}

async function procCmdlines(): Promise<string[]> {
  const lines: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline !== "") lines.push(cmdline.split("\0").join(" "));
  }
  return lines;
}
