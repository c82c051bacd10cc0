import { fstatSync, statSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import type { TextOut } from "./text-out.js";

/**
 * The process's stdout or stderr as a {@link TextOut} that writes with write(2). `process.stdout` would do, but
 * making it loads Node's stream stack, and for a pipe its net module too: some 3-4 ms of every command's start-up.
 * Writes are synchronous, as process.stdout's are on Linux for files, pipes and terminals, so output keeps its order
 * with anything else that writes to the same descriptor.
 *
 * A descriptor someone made non-blocking (EAGAIN) is handed over to the process's own stream, which waits for it.
 * Any other failure (a reader that went away, EPIPE; a hung-up terminal, EIO; a full disk) is reported once to
 * `onClosed`, and later writes are dropped, as an `error` event of process.stdout was before.
 */
export class FdOut implements TextOut {
  #stream: NodeJS.WriteStream | undefined;
  #closed = false;
  #tty: boolean | undefined;

  constructor(
    readonly fd: 1 | 2,
    private readonly onClosed: () => void,
  ) {}

  /**
   * Whether this is a terminal. If so, live progress (listr2) will write to the process's own stream as well: a
   * failure of that stream is reported to `onClosed` too.
   */
  get isTTY(): boolean {
    if (this.#tty === undefined) {
      this.#tty = isTerminal(this.fd);
      if (this.#tty) this.#processStream().on("error", () => this.#close());
    }
    return this.#tty;
  }

  write(text: string): boolean {
    if (this.#closed) return false;
    if (this.#stream !== undefined) return this.#stream.write(text);
    const bytes = Buffer.from(text, "utf8");
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(this.fd, bytes, done);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN")
          return this.#handOver().write(bytes.subarray(done));
        this.#close();
        return false;
      }
    }
    return true;
  }

  #handOver(): NodeJS.WriteStream {
    this.#stream = this.#processStream();
    this.#stream.on("error", () => this.#close());
    return this.#stream;
  }

  #processStream(): NodeJS.WriteStream {
    return this.fd === 1 ? process.stdout : process.stderr;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClosed();
  }
}

/**
 * Whether `fd` is a terminal. Only a character device can be one; of those, /dev/null (where CI and cron often send
 * output) is told apart by its device number, so node:tty (which loads net) is loaded only for a likely terminal.
 */
function isTerminal(fd: number): boolean {
  try {
    const info = fstatSync(fd);
    if (!info.isCharacterDevice() || info.rdev === statSync("/dev/null").rdev) return false;
  } catch {
    return false;
  }
  const tty = createRequire(import.meta.url)("node:tty") as typeof import("node:tty");
  return tty.isatty(fd);
}
