import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInSandbox } from "../../../src/drivers/local/sandbox.js";

/** Runs a VM's startup script against its disk and returns the exit code. */
export type GuestRunner = (options: {
  lowerDirs: string[];
  upperDir: string;
  script: string;
  signal: AbortSignal;
  onLine: (line: string) => void;
}) => Promise<number>;

/**
 * The fake's guest: the startup script runs for real in the local driver's sandbox, over the disk's overlay
 * (the image's layers below, the disk's own writes on top), like the guest agent runs it from a file.
 */
export const sandboxGuest: GuestRunner = async (options) => {
  const dir = await mkdtemp(join(tmpdir(), "fake-gce-script-"));
  const file = join(dir, "startup-script");
  await writeFile(file, options.script, { mode: 0o755 });
  try {
    const result = await runInSandbox({
      lowerDirs: options.lowerDirs,
      upperDir: options.upperDir,
      argv: ["/bin/sh", "/run/google-startup-script"],
      env: {},
      network: "none",
      binds: [{ source: file, target: "/run/google-startup-script", readonly: true }],
      signal: options.signal,
      onOutput: (_stream, line) => options.onLine(line),
    });
    return result.exitCode;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
