import { execFile } from "node:child_process";

/** A short command's outcome, as {@link capture} returns it whatever the exit code. */
export interface Captured {
  /** The exit code; `null` when the command was killed (by the timeout) or never started. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The command was not found (ENOENT). */
  missing: boolean;
  /** Why the command could not run or was killed, when it could not or was. */
  error?: Error;
}

/**
 * Runs a short command to completion and returns its output, never throwing. For quick queries (`packer version`,
 * `docker image inspect`) node:child_process is all that is needed; execa stays for processes bake supervises.
 */
export function capture(
  file: string,
  args: readonly string[],
  options: { env: Readonly<Record<string, string | undefined>>; cwd: string; timeoutMs: number },
): Promise<Captured> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      {
        env: options.env as NodeJS.ProcessEnv,
        cwd: options.cwd,
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        done({
          exitCode: error === null ? 0 : typeof code === "number" ? code : null,
          stdout,
          stderr,
          missing: code === "ENOENT",
          ...(error === null ? {} : { error }),
        });
      },
    );
  });
}
