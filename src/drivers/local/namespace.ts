import { type ChildProcess, execFile, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";
import { BakeError } from "../../errors.js";
import { writeFile } from "../../util/fs-async.js";
import type { IdMapping, IdRange } from "./idmap.js";

const execFileAsync = promisify(execFile);

/** PATH for host tools run while setting a sandbox up (never the step's PATH). */
export const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The first program in the new namespaces: it says "ready" on fd 4, waits for "go" on fd 3 (sent once the
// parent has written the id maps), closes both and execs the real program. Nothing here is user-controlled.
// fd 5, when there is one, stays open for the program: it carries `privateInput`.
const HANDSHAKE = 'printf r >&4; read -r go <&3; exec 3<&- 4>&-; [ "$go" = go ] || exit 125; exec "$@"';

export interface NamespacedProcess {
  child: ChildProcess;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code (128+n for a signal) once the whole namespace is gone. */
  exited: Promise<number>;
  /** SIGKILLs the namespace: with `--kill-child`, the init of the new pid namespace dies and takes every process with it. */
  kill(): void;
}

/** Options for {@link spawnNamespaced}. */
export interface SpawnNamespacedOptions {
  argv: string[];
  mapping: IdMapping;
  /** New mount and pid namespaces (a sandbox) or just a user namespace (a file operation as the sandbox's root). */
  sandbox: boolean;
  /** A new, empty network namespace. */
  isolateNetwork?: boolean;
  /**
   * Join the user and network namespaces of this host process (another sandbox's namespace holder) instead of
   * creating a user namespace: the program shares that sandbox's network, with its own mount and pid namespaces.
   */
  joinNamespacesOf?: number;
  env?: Record<string, string>;
  stdin?: "ignore" | "pipe";
  /**
   * Bytes the program reads from fd 5, a pipe only it holds. For values (a step's environment, secrets included)
   * that must not appear in process arguments, which every local user can read in `ps`.
   */
  privateInput?: string;
}

/**
 * Starts `argv` in new namespaces with one `unshare` exec. The parent writes the id maps itself (directly as root,
 * through `newuidmap` with subordinate ids), which `unshare --map-*` cannot do for every case.
 */
export async function spawnNamespaced(options: SpawnNamespacedOptions): Promise<NamespacedProcess> {
  const join = options.joinNamespacesOf;
  const flags = join === undefined ? ["--user", "--kill-child", "--keep-caps"] : ["--kill-child"];
  if (options.sandbox) flags.push("--mount", "--pid", "--fork", "--propagation", "private");
  else flags.push("--fork");
  if (options.isolateNetwork && join === undefined) flags.push("--net");
  // nsenter enters the other sandbox's user namespace (its ids are already mapped) and network, then execs unshare:
  // the same pid throughout, so --pdeathsig and kill() still reach it. Credentials stay as they are (no setgroups).
  const enter =
    join === undefined
      ? []
      : ["nsenter", "--target", String(join), "--user", "--net", "--preserve-credentials", "--"];
  // setpriv --pdeathsig: if bake itself is killed, unshare dies and takes the namespace with it (--kill-child).
  // Its own process group lets kill() reach every process that stayed in it, and keeps a terminal's Ctrl-C for bake.
  const argv = [
    "--pdeathsig",
    "KILL",
    ...enter,
    "unshare",
    ...flags,
    "--",
    "/bin/sh",
    "-c",
    HANDSHAKE,
    "sh",
    ...options.argv,
  ];
  const stdio: ("ignore" | "pipe")[] = [options.stdin ?? "ignore", "pipe", "pipe", "pipe", "pipe"];
  if (options.privateInput !== undefined) stdio.push("pipe");
  const child = spawn("setpriv", argv, {
    stdio,
    env: options.env ?? { PATH: HOST_PATH },
    detached: true,
  });
  // A sandbox killed mid-handshake resets its pipes; the exit status reports that, so pipe errors are not crashes.
  for (const stream of child.stdio) stream?.on("error", () => {});
  // The pipe buffers what the program reads once it is set up; a program that dies first just drops it.
  if (options.privateInput !== undefined)
    (child.stdio as unknown as Writable[])[5]?.end(options.privateInput);
  const exited = exitOf(child);
  const stderrHead: string[] = [];
  const collect = (chunk: Buffer) => {
    if (stderrHead.length < 20) stderrHead.push(chunk.toString("utf8"));
  };
  child.stderr?.on("data", collect);
  const ready = await new Promise<boolean>((resolve) => {
    child.stdio[4]?.once("data", () => resolve(true));
    void exited.then(() => resolve(false));
  });
  if (!ready) {
    const code = await exited;
    throw new BakeError({
      code: "sandbox-unavailable",
      message: `cannot create a sandbox (user namespaces): unshare exited with ${code}`,
      detail: stderrHead.join("").trim() || undefined,
      hint: "the local driver needs unprivileged user namespaces and overlayfs (Linux 5.11+); use --target packer otherwise",
    });
  }
  child.stderr?.off("data", collect);
  try {
    if (join === undefined) await writeIdMaps(child.pid as number, options.mapping);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw new BakeError({
      code: "sandbox-unavailable",
      message: `cannot map user ids into the sandbox: ${error instanceof Error ? error.message : String(error)}`,
      hint: "check /etc/subuid and /etc/subgid and that newuidmap/newgidmap (package uidmap) are installed, or use --target packer",
      cause: error,
    });
  }
  (child.stdio[3] as Writable).end("go\n");
  return {
    child,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    exited,
    kill: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    },
  };
}

async function writeIdMaps(pid: number, mapping: IdMapping): Promise<void> {
  if (mapping.kind === "subordinate") {
    await execFileAsync("newuidmap", [String(pid), ...rangeArgs(mapping.uids)], { env: { PATH: HOST_PATH } });
    await execFileAsync("newgidmap", [String(pid), ...rangeArgs(mapping.gids)], { env: { PATH: HOST_PATH } });
    return;
  }
  if (mapping.kind === "single") await writeFile(`/proc/${pid}/setgroups`, "deny");
  await writeFile(`/proc/${pid}/uid_map`, rangeLines(mapping.uids));
  await writeFile(`/proc/${pid}/gid_map`, rangeLines(mapping.gids));
}

function rangeArgs(ranges: readonly IdRange[]): string[] {
  return ranges.flatMap((r) => [String(r.inner), String(r.outer), String(r.count)]);
}

function rangeLines(ranges: readonly IdRange[]): string {
  return ranges.map((r) => `${r.inner} ${r.outer} ${r.count}\n`).join("");
}

// The exit code once the process has exited and its output has drained. A process that left something holding
// the pipes (it cannot: the pid namespace dies with its init) would otherwise keep a build waiting forever.
function exitOf(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve) => {
    child.once("error", () => resolve(127));
    child.once("exit", (code, signal) => {
      const result = code ?? 128 + signalNumber(signal);
      const streams = [child.stdout, child.stderr].filter((stream): stream is Readable => stream !== null);
      const drained = Promise.all(
        streams.map(
          (stream) =>
            new Promise<void>((done) => {
              if (stream.readableEnded || stream.destroyed) done();
              else stream.once("close", done);
            }),
        ),
      );
      const timer = setTimeout(() => {
        for (const stream of streams) stream.destroy();
      }, 2_000);
      void drained.then(() => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };
  return (signal && numbers[signal]) ?? 1;
}

/**
 * Runs a host tool (tar, rm, chown) as the sandbox's root, so it sees and writes the ownership images carry.
 * As host root with the identity map no namespace is needed.
 */
export async function runAsSandboxRoot(options: {
  argv: string[];
  mapping: IdMapping;
  input?: Readable;
}): Promise<void> {
  const proc =
    options.mapping.kind === "identity"
      ? directProcess(options.argv, options.input !== undefined)
      : await spawnNamespaced({
          argv: options.argv,
          mapping: options.mapping,
          sandbox: false,
          stdin: options.input ? "pipe" : "ignore",
        });
  const errors: string[] = [];
  proc.stderr.on("data", (chunk: Buffer) => {
    if (errors.length < 20) errors.push(chunk.toString("utf8"));
  });
  if (options.input && proc.child.stdin) options.input.pipe(proc.child.stdin);
  proc.child.stdin?.on("error", () => {});
  proc.stdout.resume();
  const code = await proc.exited;
  if (code !== 0) {
    throw new BakeError({
      code: "store-io",
      message: `${options.argv[0]} failed with exit code ${code}`,
      detail: errors.join("").trim() || undefined,
      exitCode: 1,
    });
  }
}

function directProcess(argv: string[], withStdin: boolean): NamespacedProcess {
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: [withStdin ? "pipe" : "ignore", "pipe", "pipe"],
    env: { PATH: HOST_PATH },
  });
  const exited = exitOf(child);
  return {
    child,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    exited,
    kill: () => child.kill("SIGKILL"),
  };
}
