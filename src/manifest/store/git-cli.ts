import { execa } from "execa";
import { BakeError } from "../../errors.js";
import { printable } from "../../util/printable.js";

/** What one git invocation printed. */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git against a private bare repository (never the user's working tree), with the caller's environment so CI's
 * credential helpers and ssh agent apply, and prompts off so a missing credential fails instead of hanging.
 */
export async function git(
  gitDir: string,
  args: readonly string[],
  options: { input?: string; allowFailure?: boolean; binary?: boolean } = {},
): Promise<GitResult> {
  const result = await execa("git", args, {
    env: {
      GIT_DIR: gitDir,
      GIT_TERMINAL_PROMPT: "0",
      GIT_ASKPASS: process.env.GIT_ASKPASS ?? "",
      LC_ALL: "C",
    },
    extendEnv: true,
    reject: false,
    stripFinalNewline: false,
    // latin1 maps bytes to chars one to one, so binary output (tree objects) survives the trip through a string.
    ...(options.binary ? { encoding: "latin1" as const } : {}),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  if (result.failed && result.exitCode === undefined) {
    throw new BakeError({
      code: "store-git-missing",
      message: `cannot run git: ${(result as { shortMessage?: string }).shortMessage ?? "not found"}`,
      hint: "install git (apt-get install git); git stores use the git command line",
    });
  }
  const out = {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
  if (out.exitCode !== 0 && !options.allowFailure) {
    throw new BakeError({
      code: "store-failed",
      message: `git ${args[0]} failed in bake's store cache ${gitDir}: ${firstLine(out.stderr)}`,
      hint: "remove that cache directory; bake fetches it again from the remote",
    });
  }
  return out;
}

/** A one-line BakeError for a fetch or push that talked to the remote and failed. */
export function remoteError(stderr: string, display: string, action: string): BakeError {
  const reason = firstLine(stderr);
  if (
    /Authentication failed|Permission denied|could not read (Username|Password)|terminal prompts disabled|\b40[13]\b/i.test(
      stderr,
    )
  ) {
    return new BakeError({
      code: "store-auth-failed",
      message: `the git remote of ${display} refused bake's credentials (${action}): ${reason}`,
      hint: "give CI the credentials it uses for `git push` (a credential helper, an ssh key or a deploy key with write access)",
    });
  }
  return new BakeError({
    code: "store-unreachable",
    message: `cannot reach the git remote of ${display} (${action}): ${reason}`,
    hint: "check the URL and that the remote answers (`git ls-remote URL`), then run the command again",
  });
}

/** The most telling line of git's stderr ("fatal: ..." or the first one), made safe to print. */
export function firstLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const chosen = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? "no output";
  return printable(chosen);
}
