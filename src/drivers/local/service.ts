import { constants } from "node:os";
import { readFile } from "../../util/fs-async.js";
import type { ImageConfig } from "./oci.js";
import { runInSandbox, type SandboxBind } from "./sandbox.js";

/** The image's service: its entrypoint and cmd, run as a container runtime would. */
export interface ServiceSpec {
  argv: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  /** @default "SIGTERM" */
  stopSignal: string;
}

/** How long a service that handles its stop signal gets to exit before it is killed. */
const STOP_GRACE_MS = 10_000;
/** Lines of service output kept to show when a check fails. */
const KEPT_LINES = 200;

/** The image's service, or undefined when its config has neither entrypoint nor cmd. */
export function serviceOf(config: ImageConfig): ServiceSpec | undefined {
  const runtime = config.config ?? {};
  const argv = [...(runtime.Entrypoint ?? []), ...(runtime.Cmd ?? [])];
  if (argv.length === 0) return undefined;
  const env: Record<string, string> = {};
  for (const entry of runtime.Env ?? []) {
    const at = entry.indexOf("=");
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return {
    argv,
    env,
    ...(runtime.WorkingDir ? { workdir: runtime.WorkingDir } : {}),
    ...(runtime.User ? { user: runtime.User } : {}),
    stopSignal: runtime.StopSignal || "SIGTERM",
  };
}

/** A service running in its own sandbox, as a booted instance runs its services. */
export interface RunningService {
  /** Host pid holding the sandbox's namespaces; checks join its network namespace through it. */
  readonly pid: number;
  /** The last lines the service wrote, stdout and stderr interleaved. */
  output(): string[];
  /** The exit code, once the service has exited on its own. */
  exitCode(): number | undefined;
  /** Sends the stop signal, waits for the service to exit (if it handles that signal), then kills what is left. */
  stop(): Promise<void>;
}

/**
 * Starts the service in a fresh sandbox of the image with its own network namespace (loopback only): the checks
 * reach it there and nothing on the build machine can answer for it. The sandbox and its scratch go when it stops.
 */
export async function startService(input: {
  spec: ServiceSpec;
  lowers: string[];
  binds: SandboxBind[];
  scratch: string;
  signal: AbortSignal;
}): Promise<RunningService> {
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > KEPT_LINES) lines.shift();
  };
  const killer = new AbortController();
  let exitCode: number | undefined;
  let started: (pid: number) => void = () => {};
  const pid = new Promise<number>((resolve) => {
    started = resolve;
  });
  const done = runInSandbox({
    lowerDirs: input.lowers,
    scratchDir: input.scratch,
    argv: input.spec.argv,
    env: input.spec.env,
    network: "none",
    binds: input.binds,
    signal: AbortSignal.any([input.signal, killer.signal]),
    user: input.spec.user,
    workdir: input.spec.workdir,
    onOutput: (_stream, line) => keep(line),
    onStarted: (sandbox) => started(sandbox.pid),
  }).then(
    (result) => {
      exitCode = result.exitCode;
    },
    (error: unknown) => {
      if (killer.signal.aborted) return;
      keep(`bake: ${error instanceof Error ? error.message : String(error)}`);
      exitCode ??= 125;
    },
  );
  // A sandbox that fails to start never reports a pid: its end settles the race instead.
  const holder = await Promise.race([pid, done.then(() => undefined)]);
  return {
    pid: holder ?? 0,
    output: () => [...lines],
    exitCode: () => exitCode,
    async stop() {
      if (holder !== undefined && exitCode === undefined) {
        const child = await programPid(holder);
        if (child !== undefined && (await handles(child, input.spec.stopSignal))) {
          try {
            process.kill(child, input.spec.stopSignal as NodeJS.Signals);
            await Promise.race([done, delay(STOP_GRACE_MS)]);
          } catch {}
        }
      }
      killer.abort(new Error("service stopped"));
      await done;
    },
  };
}

// The program is the namespace holder's only child (pid 1 of the sandbox's pid namespace).
async function programPid(holder: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${holder}/task/${holder}/children`, "utf8").catch(() => "");
  const first = Number(text.trim().split(/\s+/)[0]);
  return Number.isInteger(first) && first > 0 ? first : undefined;
}

// Pid 1 of a pid namespace only receives the signals it handles (SIGKILL aside), as in a container without an init:
// a signal it does not catch would be dropped, so there is nothing to wait for.
async function handles(pid: number, signal: string): Promise<boolean> {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  if (number === undefined) return false;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return caught !== undefined && ((BigInt(`0x${caught}`) >> BigInt(number - 1)) & 1n) === 1n;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
