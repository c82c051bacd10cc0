import { createInterface } from "node:readline";
import { BakeError, BuildFailedError, InterruptedError } from "../../errors.js";
import {
  type BuildSummary,
  type MachineLine,
  parseMachineLine,
  SummaryCollector,
  uiLine,
} from "./machine-readable.js";

/** How to run one `packer build`. */
export interface RunPackerOptions {
  packerPath: string;
  /** The template file (`*.pkr.json`). */
  template: string;
  cwd: string;
  /** Packer's whole environment, including `PKR_VAR_*` for sensitive variables. */
  env: Readonly<Record<string, string | undefined>>;
  /** Aborting sends Packer one SIGINT and waits for its cleanup; Packer is never killed. */
  signal: AbortSignal;
  /** Every parsed line, as it arrives. */
  onLine: (line: MachineLine) => void;
  /** Lines Packer wrote to stderr, or stdout lines that were not machine-readable. */
  onStray?: (line: string) => void;
}

/** A finished `packer build`. */
export interface PackerRun extends BuildSummary {
  exitCode: number;
  /** `ui error` lines, for a failure message when the build-level errors say little. */
  uiErrors: string[];
}

/**
 * Runs `packer build -machine-readable -color=false TEMPLATE` and streams its parsed lines. Packer runs in its
 * own process group, so only bake forwards a Ctrl-C (once, to the group, as a terminal would) and Packer gets to
 * clean up what it launched.
 * Throws `BuildFailedError` with Packer's own error lines on a non-zero exit, `InterruptedError` when aborted.
 */
export async function runPackerBuild(options: RunPackerOptions): Promise<PackerRun> {
  if (options.signal.aborted) throw new InterruptedError();
  const collector = new SummaryCollector();
  const uiErrors: string[] = [];
  // execa (process groups, no forced kill, good errors) is loaded only when Packer is started.
  const { execa } = await import("execa");
  const child = execa(options.packerPath, ["build", "-machine-readable", "-color=false", options.template], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    reject: false,
    detached: true,
    stdin: "ignore",
    buffer: false,
    forceKillAfterDelay: false,
  });
  // Packer's outer process (panicwrap) ignores SIGINT and expects the terminal to signal its whole group, as Ctrl-C
  // does; so the group gets it. Plugins ignore it and Packer cancels, cleans up and exits. Never SIGKILL.
  const forward = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
    } catch {
      child.kill("SIGINT");
    }
  };
  options.signal.addEventListener("abort", forward, { once: true });
  const readStdout = readLines(child.stdout, (text) => {
    const line = parseMachineLine(text);
    if (!line) {
      if (text.trim() !== "") options.onStray?.(text);
      return;
    }
    collector.add(line);
    const ui = uiLine(line);
    if (ui?.kind === "error") uiErrors.push(ui.text);
    options.onLine(line);
  });
  const readStderr = readLines(child.stderr, (text) => {
    if (text.trim() !== "") options.onStray?.(text);
  });
  try {
    const [result] = await Promise.all([child, readStdout, readStderr]);
    const summary = collector.summary();
    if (options.signal.aborted) throw new InterruptedError("interrupted; Packer cleaned up and stopped");
    if ((result as { code?: string }).code === "ENOENT") {
      throw new BakeError({
        code: "packer-missing",
        message: `cannot run Packer: "${options.packerPath}" was not found`,
        hint: "install Packer 1.6 or later: `apt-get install packer`, or a release from https://releases.hashicorp.com/packer/",
      });
    }
    const exitCode = result.exitCode ?? 1;
    if (exitCode !== 0) throw buildFailed({ summary, uiErrors, exitCode });
    return { ...summary, uiErrors, exitCode };
  } finally {
    options.signal.removeEventListener("abort", forward);
  }
}

function buildFailed(input: {
  summary: BuildSummary;
  uiErrors: string[];
  exitCode: number;
}): BuildFailedError {
  const lines = input.summary.errors.map((error) =>
    error.target ? `${error.target}: ${error.message}` : error.message,
  );
  const messages = lines.length > 0 ? lines : input.uiErrors.map((text) => text.trim()).filter(Boolean);
  const first = messages[0] ?? `packer build exited with code ${input.exitCode}`;
  return new BuildFailedError({
    code: "packer-build-failed",
    message: `Packer failed: ${first.split("\n")[0]}`,
    ...(messages.length > 0 ? { detail: messages.map((text) => `  ${text.trim()}`).join("\n") } : {}),
    hint: "fix the step or the target's source options and build again",
  });
}

async function readLines(
  stream: NodeJS.ReadableStream | null,
  onLine: (line: string) => void,
): Promise<void> {
  if (!stream) return;
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of reader) onLine(line);
}
