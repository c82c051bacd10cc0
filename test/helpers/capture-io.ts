import type { CommandIO } from "../../src/cli/io.js";

/** A `CommandIO` whose stdout and stderr are collected, for calling `main([...], io)` in tests. */
export interface CapturedIO {
  io: CommandIO;
  stdout(): string;
  stderr(): string;
}

export function captureIO(
  options: {
    cwd?: string;
    env?: Readonly<Record<string, string | undefined>>;
    tty?: boolean;
    signal?: AbortSignal;
  } = {},
): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  const isTTY = options.tty ?? false;
  return {
    io: {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? {},
      stdout: { write: (text: string) => out.push(text), isTTY },
      stderr: { write: (text: string) => err.push(text), isTTY },
      signal: options.signal ?? new AbortController().signal,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}
