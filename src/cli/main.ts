import { parseArgs } from "node:util";
import { BakeError, ExitCode, isBakeError } from "../errors.js";
import { nearest } from "../util/nearest.js";
import { styleFor } from "../util/style.js";
import { bakeVersion } from "../version.js";
import { COMMANDS, type CommandSpec, findCommand } from "./commands.js";
import { annotateError } from "./github-annotations.js";
import { commandHelp, overviewHelp } from "./help.js";
import type { CommandIO, CommandRun } from "./io.js";

/**
 * The entry point: parses argv, loads the command lazily, and turns every outcome into an exit code.
 * Only `bin/bake.js` calls this with the real process; tests pass their own `io`.
 */
export async function main(argv: string[], io?: Partial<CommandIO>): Promise<number> {
  const ownSignal = io?.signal === undefined;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(ExitCode.Interrupted);
    controller.abort(
      new BakeError({ code: "interrupted", message: `interrupted by ${signal}`, exitCode: 130 }),
    );
  };
  if (ownSignal) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const fullIO: CommandIO = {
    cwd: io?.cwd ?? process.cwd(),
    env: io?.env ?? process.env,
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    signal: io?.signal ?? controller.signal,
  };
  try {
    return await dispatch(argv, fullIO);
  } catch (error) {
    if (isBakeError(error)) annotateError(fullIO.stderr, { error, command: argv[0], ...fullIO });
    return reportError(error, fullIO, argv.includes("--no-color"));
  } finally {
    if (ownSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

async function dispatch(argv: string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V") {
    io.stdout.write(`bake ${bakeVersion()}\n`);
    return ExitCode.Ok;
  }
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    const command = topic === undefined ? undefined : findCommand(topic);
    io.stdout.write(command ? commandHelp(command) : overviewHelp());
    return first === undefined ? ExitCode.BadInput : ExitCode.Ok;
  }
  const command = findCommand(first);
  if (!command) {
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
    io.stdout.write(commandHelp(command));
    return ExitCode.Ok;
  }
  const parsed = parseCommandArgs(command, rest);
  // Kept opaque to bundlers: vite (vitest) would glob `./commands/*.js` and miss the `.ts` sources under test.
  const modulePath = `./commands/${command.module}.js`;
  const module = (await import(/* @vite-ignore */ modulePath)) as { run: CommandRun };
  return module.run(parsed, io);
}

function parseCommandArgs(command: CommandSpec, args: string[]) {
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

function reportError(error: unknown, io: CommandIO, noColor: boolean): number {
  const style = styleFor(io.stderr, io.env, noColor);
  if (isBakeError(error)) {
    const where = error.location
      ? `${error.location.file}:${error.location.line}:${error.location.col}: `
      : "";
    io.stderr.write(`${style.red(style.bold("error"))}: ${where}${error.message}\n`);
    if (error.detail) io.stderr.write(`${error.detail.replace(/\n?$/, "\n")}`);
    if (error.hint) io.stderr.write(`  ${style.cyan("hint")}: ${error.hint}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(
    `${style.red(style.bold("internal error"))}: this is a bug in bake ${bakeVersion()}.\n` +
      `Please report it with the command you ran and this output:\n${detail}\n`,
  );
  return ExitCode.Failed;
}
