import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";

// A minimal Language Server Protocol client over stdio, enough to drive the real yaml-language-server the way
// an editor does: requests are matched to responses by id, and requests the server sends are answered.

const require = createRequire(import.meta.url);

interface Message {
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

/** A running yaml-language-server and the requests it has answered. */
export class YamlLanguageServer {
  private readonly child: ChildProcess;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly waiting: { method: string; resolve: (params: unknown) => void }[] = [];
  private stderr = "";

  /** Starts the server with `--stdio`; `settings` is what it gets for `workspace/configuration` and its `yaml` section. */
  constructor(private readonly settings: { yaml: Record<string, unknown> }) {
    const bin = require.resolve("yaml-language-server/bin/yaml-language-server");
    this.child = spawn(process.execPath, [bin, "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout?.on("data", (chunk: Buffer) => this.receive(chunk));
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.child.on("exit", (code, signal) => {
      const error = new Error(`yaml-language-server exited (${code ?? signal}): ${this.stderr.slice(-2000)}`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    });
  }

  /** Sends a request and waits for the response with its id, failing after `timeoutMs`. */
  request<T>(method: string, params: unknown, timeoutMs = 15_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no response to ${method} (#${id}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** Waits for the next notification of `method` from the server (diagnostics, say). */
  nextNotification<T>(method: string, timeoutMs = 15_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = {
        method,
        resolve: (params: unknown) => {
          clearTimeout(timer);
          resolve(params as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(new Error(`no ${method} notification within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(entry);
    });
  }

  /** Ends the server: a polite shutdown first, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    try {
      await this.request("shutdown", null, 3000);
      this.notify("exit", null);
    } catch {
      // Already gone or unresponsive: the kill below ends it either way.
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: Message): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
    this.child.stdin?.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin?.write(body);
  }

  // Frames are `Content-Length: N\r\n\r\n` followed by N bytes of JSON.
  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(
        /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString("ascii"))?.[1],
      );
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.handle(JSON.parse(body) as Message);
    }
  }

  private handle(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server: configuration gets our settings; anything else (registrations) a null.
      const result =
        message.method === "workspace/configuration"
          ? ((message.params as { items: { section?: string }[] }).items ?? []).map(({ section }) =>
              section === "yaml" ? this.settings.yaml : section ? null : this.settings,
            )
          : null;
      this.send({ id: message.id, result });
      return;
    }
    if (message.method !== undefined) {
      const index = this.waiting.findIndex((entry) => entry.method === message.method);
      if (index >= 0) this.waiting.splice(index, 1)[0]?.resolve(message.params);
      return;
    }
    const pending = this.pending.get(message.id as number);
    if (!pending) return;
    this.pending.delete(message.id as number);
    if (message.error) pending.reject(new Error(`${message.error.code}: ${message.error.message}`));
    else pending.resolve(message.result);
  }
}
