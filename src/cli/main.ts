import { parseArgs } from "node:util";
import { BakeError, ExitCode, isBakeError } from "../errors.js";
import { FdOut } from "../util/fd-out.js";
import { bakeVersion } from "../version.js";
import type { CommandSpec } from "./commands.js";
import type { CommandIO } from "./io.js";

// Only what `bake --version` needs is imported statically; the command table, help, error rendering and CI
// annotations load when used (scripts/bundle-cli.mjs makes each a chunk), so the version banner costs Node's start
// and one small file.

/**
 * How long a command has, after SIGINT or SIGTERM (or a closed stdout), to clean up and return before bake dies of
 * the signal anyway (the shell shows 130 for SIGINT).
 */
export const INTERRUPT_GRACE_MS = 600;
/** How long the grace stretches while processes or connections are still open (cleanup is likely under way). */
export const CLEANUP_GRACE_MS = 30_000;
/** The exit code when stdout or stderr is closed under bake (`bake show --json | head`): 128 + SIGPIPE, as a Unix tool. */
export const EXIT_OUTPUT_CLOSED = 141;

/**
 * The entry point: parses argv, loads the command lazily, and turns every outcome into an exit code.
 * Only `bin/bake.js` calls this with the real process; tests pass their own `io`.
 */
export async function main(argv: string[], io?: Partial<CommandIO>): Promise<number> {
  // Before any signal handling is set up: printing the version is all there is to do.
  if (argv[0] === "--version" || argv[0] === "-V") {
    (io?.stdout ?? process.stdout).write(`bake ${bakeVersion()}\n`);
    return ExitCode.Ok;
  }
  const ownSignal = io?.signal === undefined;
  const controller = new AbortController();
  let outputClosed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means "now".
    if (controller.signal.aborted) dieBy(signal);
    controller.abort(
      new BakeError({ code: "interrupted", message: `interrupted by ${signal}`, exitCode: 130 }),
    );
    armWatchdog(() => {
      (io?.stderr ?? process.stderr).write(`error: interrupted by ${signal}\n`);
      dieBy(signal);
    });
  };
  // A reader that goes away (`| head`) closes the pipe: end the command quietly, as a Unix tool would.
  const onOutputError = () => {
    if (outputClosed) return;
    outputClosed = true;
    if (!controller.signal.aborted) {
      controller.abort(new BakeError({ code: "output-closed", message: "output closed", exitCode: 141 }));
      armWatchdog(() => dieBy("SIGPIPE"));
    }
  };
  if (ownSignal) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const fullIO: CommandIO = {
    cwd: io?.cwd ?? process.cwd(),
    env: io?.env ?? process.env,
    stdout: io?.stdout ?? new FdOut(1, onOutputError),
    stderr: io?.stderr ?? new FdOut(2, onOutputError),
    signal: io?.signal ?? controller.signal,
  };
  try {
    const code = await dispatch(argv, fullIO);
    return outputClosed ? EXIT_OUTPUT_CLOSED : code;
  } catch (error) {
    if (outputClosed) return EXIT_OUTPUT_CLOSED;
    if (isBakeError(error)) {
      const { annotateError } = await import("./github-annotations.js");
      annotateError(fullIO.stderr, { error, command: argv[0], ...fullIO });
    }
    return reportError(error, fullIO, argv.includes("--no-color"));
  } finally {
    // The watchdog, if armed, stays: something may still hold the process open after the command returned.
    watchdog?.unref();
    if (ownSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

let watchdog: NodeJS.Timeout | undefined;

// After an interrupt, a command stuck in a read or an await that ignores the signal must not keep bake alive.
// Cleanup gets its chance: while child processes or connections are open, the grace stretches, up to a cap.
function armWatchdog(exit: () => void): void {
  if (watchdog !== undefined) return;
  const started = Date.now();
  const check = () => {
    if (Date.now() - started < CLEANUP_GRACE_MS && cleanupUnderWay()) {
      watchdog = setTimeout(check, 250);
      return;
    }
    exit();
  };
  watchdog = setTimeout(check, INTERRUPT_GRACE_MS);
}

// Die of the signal itself, as a Unix tool interrupted by it does (the shell shows 130 for SIGINT, 143 for
// SIGTERM). process.exit() would not do: it waits for the thread pool, and a thread stuck in open() or read()
// on a FIFO or a dead mount never returns.
function dieBy(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  // Once its last listener goes, libuv restores a signal's default action; for SIGPIPE, which Node ignores from
  // the start, adding and removing one listener is what restores it.
  const reset = () => {};
  process.on(signal, reset);
  process.off(signal, reset);
  process.kill(process.pid, signal);
  // The default action is immediate; if something still catches the signal, do not linger.
  setTimeout(() => process.kill(process.pid, "SIGKILL"), 500).unref();
}

function cleanupUnderWay(): boolean {
  return process
    .getActiveResourcesInfo()
    .some((kind) => /^(ProcessWrap|TCPWRAP|TCPConnectWrap|GetAddrInfoReqWrap|TLSWRAP|HTTPParser)/.test(kind));
}

async function dispatch(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  const { COMMANDS, findCommand } = await import("./commands.js");
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const { commandHelp, overviewHelp } = await import("./help.js");
    const topic = first === "help" ? rest[0] : undefined;
    const command = topic === undefined ? undefined : findCommand(topic);
    io.stdout.write(command ? commandHelp(command) : overviewHelp());
    return first === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  const command = findCommand(first);
  if (!command) {
    const { nearest } = await import("../util/nearest.js");
    const guess = first.startsWith("-")
      ? undefined
      : nearest(
          first,
          COMMANDS.map((c) => c.name),
        );
    throw new BakeError({
      code: "usage",
      message: `unknown command "${first}"`,
      hint: guess
        ? `did you mean "bake ${guess}"? Run "bake --help" for every command.`
        : 'run "bake --help" for every command',
    });
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    const { commandHelp } = await import("./help.js");
    io.stdout.write(commandHelp(command));
    return ExitCode.Ok;
  }
  const parsed = await parseCommandArgs(command, rest);
  const module = await command.load();
  return module.run(parsed, io);
}

async function parseCommandArgs(command: CommandSpec, args: string[]) {
  const options = {
    ...Object.fromEntries(
      Object.entries(command.options).map(([name, spec]) => [
        name,
        { type: spec.type, multiple: spec.multiple ?? false, ...(spec.short ? { short: spec.short } : {}) },
      ]),
    ),
    "no-color": { type: "boolean" as const },
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message =
      error instanceof Error ? (error.message.split("\n")[0] ?? "bad arguments") : "bad arguments";
    const unknown = /Unknown option '(--?[^']+)'/.exec(message)?.[1];
    const { nearest } = await import("../util/nearest.js");
    const guess = unknown ? nearest(unknown.replace(/^-+/, ""), Object.keys(command.options)) : undefined;
    throw new BakeError({
      code: "usage",
      message: `${command.name}: ${message.replace(/\. To specify a positional.*$/, "")}`,
      hint: guess ? `did you mean --${guess}? Usage: ${command.usage}` : `usage: ${command.usage}`,
    });
  }
  const count = parsed.positionals.length;
  if (count < command.positionals.min || count > command.positionals.max) {
    throw new BakeError({
      code: "usage",
      message: `${command.name}: expected ${describeCount(command.positionals)}, got ${count}`,
      hint: `usage: ${command.usage}`,
    });
  }
  return { positionals: parsed.positionals, values: parsed.values };
}

function describeCount({ min, max }: { min: number; max: number }): string {
  const noun = (n: number) => (n === 1 ? "argument" : "arguments");
  if (min === max) return `${min} ${noun(min)}`;
  return min === 0 ? `at most ${max} ${noun(max)}` : `${min} to ${max} arguments`;
}

async function reportError(error: unknown, io: CommandIO, noColor: boolean): Promise<number> {
  const [{ printable }, { styleFor }] = await Promise.all([
    import("../util/printable.js"),
    import("../util/style.js"),
  ]);
  const style = styleFor(io.stderr, io.env, noColor);
  if (isBakeError(error)) {
    // Messages quote recipes, var files and manifests: escape what could drive the terminal.
    const where = error.location
      ? `${printable(error.location.file)}:${error.location.line}:${error.location.col}: `
      : "";
    io.stderr.write(`${style.red(style.bold("error"))}: ${where}${printable(error.message)}\n`);
    if (error.detail)
      io.stderr.write(`${printable(error.detail, { multiline: true }).replace(/\n?$/, "\n")}`);
    if (error.hint) io.stderr.write(`  ${style.cyan("hint")}: ${printable(error.hint)}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(
    `${style.red(style.bold("internal error"))}: this is a bug in bake ${bakeVersion()}.\n` +
      `Please report it with the command you ran and this output:\n${detail}\n`,
  );
  return ExitCode.Failed;
}
