import { afterEach, describe, expect, it, vi } from "vitest";
import type { BuildEvent } from "../../../src/drivers/events.js";
import { createRedactor } from "../../../src/drivers/redact.js";
import { createListrReporter } from "../../../src/run/reporters/listr.js";

const start: BuildEvent[] = [
  {
    type: "build-started",
    runId: "bake-1",
    lineage: "web",
    version: "1.0.0",
    driver: "local",
    layers: ["runtime", "app"],
  },
  { type: "parent-resolved", ref: "dir:/rootfs", id: "sha256:0123456789abcdef0123" },
  { type: "note", message: "warning: the base is not portable (s3cr3t)" },
  { type: "layer-started", layer: "runtime", index: 0, cacheKey: "sha256:aa", cached: true },
  { type: "layer-finished", layer: "runtime", index: 0, cached: true, ok: true, durationMs: 0 },
  {
    type: "layer-started",
    layer: "app",
    index: 1,
    cacheKey: "sha256:bb",
    cached: false,
    steps: ["run: deploy"],
  },
  { type: "step-started", layer: "app", step: 0, title: "run: deploy" },
  { type: "output", stream: "stdout", line: "token s3cr3t accepted", layer: "app", step: 0 },
];

const tick = () => new Promise((resolve) => setTimeout(resolve, 60));
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal escapes to read the text.
const plain = (chunks: string[]) => chunks.join("").replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");

// Streamed output shows only while its step runs: wait until a frame drew it (the machine may be busy).
async function drawn(written: string[], text: string): Promise<void> {
  for (let i = 0; i < 300 && !plain(written).includes(text); i++) await tick();
}

async function render(events: BuildEvent[]): Promise<string> {
  return plain(await written(events));
}

// Everything the renderer wrote, its own cursor and colour sequences included.
async function written(events: BuildEvent[]): Promise<string[]> {
  const written: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const reporter = await createListrReporter({ redact: createRedactor({ t: "s3cr3t" }), forceTTY: true });
  for (const event of events) {
    reporter.emit(event);
    await tick();
    if (event.type === "output") await drawn(written, "token *** accepted");
  }
  await reporter.close();
  return written;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("listr reporter", () => {
  it("shows a task per layer and per step, cached layers, streamed output and the result, without secrets", async () => {
    const text = await render([
      ...start,
      { type: "step-finished", layer: "app", step: 0, ok: true, durationMs: 10, exitCode: 0 },
      {
        type: "layer-finished",
        layer: "app",
        index: 1,
        cached: false,
        ok: true,
        durationMs: 20,
        artifact: "sha256:cafe0000cafe0000cafe",
      },
      { type: "verify-started", image: "sha256:cafe", checks: ["health"] },
      { type: "check-started", check: 0, name: "health" },
      { type: "check-finished", check: 0, name: "health", ok: true, attempts: 1, durationMs: 5 },
      { type: "registered", recordId: "sha256:1234567890abcdef", lineage: "web", version: "1.0.0", build: 4 },
      { type: "build-finished", ok: true, durationMs: 100 },
    ]);
    expect(text).toContain("layer runtime: cached");
    expect(text).toContain("layer app -> sha256:cafe0000cafe");
    expect(text).toContain("run: deploy");
    expect(text).toContain("token *** accepted");
    expect(text).toContain("health");
    expect(text).toContain("registered web 1.0.0 build 4");
    expect(text).toContain("warning: the base is not portable (***)");
    expect(text).not.toContain("s3cr3t");
  });

  it("marks the failed step and ends when the build fails", async () => {
    const text = await render([
      ...start,
      { type: "step-finished", layer: "app", step: 0, ok: false, durationMs: 10, exitCode: 7 },
      { type: "layer-finished", layer: "app", index: 1, cached: false, ok: false, durationMs: 20 },
      { type: "build-finished", ok: false, durationMs: 100, error: "layer app failed" },
    ]);
    expect(text).toContain("run: deploy: failed (exit 7)");
    expect(text).not.toContain("registered");
  });

  it("shows an interrupted step, its layer and what never ran as interrupted, not failed", async () => {
    const text = await render([
      ...start,
      {
        type: "step-finished",
        layer: "app",
        step: 0,
        ok: false,
        durationMs: 10,
        exitCode: 143,
        interrupted: true,
      },
      {
        type: "layer-finished",
        layer: "app",
        index: 1,
        cached: false,
        ok: false,
        durationMs: 20,
        interrupted: true,
      },
      { type: "build-finished", ok: false, durationMs: 100, error: "interrupted", interrupted: true },
    ]);
    expect(text).toContain("run: deploy: interrupted");
    expect(text).toContain("layer app: interrupted in run: deploy");
    expect(text).toContain("verify: not run (build interrupted)");
    expect(text).toContain("register: not run (build interrupted)");
    expect(text).not.toMatch(/failed|✖/);
  });

  it("shows a check cut short by an interruption as interrupted, and verify with it", async () => {
    const text = await render([
      ...start,
      { type: "step-finished", layer: "app", step: 0, ok: true, durationMs: 10, exitCode: 0 },
      {
        type: "layer-finished",
        layer: "app",
        index: 1,
        cached: false,
        ok: true,
        durationMs: 20,
        artifact: "sha256:ca",
      },
      { type: "verify-started", image: "sha256:ca", checks: ["health", "version"] },
      { type: "check-started", check: 0, name: "health" },
      {
        type: "check-finished",
        check: 0,
        name: "health",
        ok: false,
        attempts: 1,
        durationMs: 5,
        interrupted: true,
      },
      { type: "build-finished", ok: false, durationMs: 100, error: "interrupted", interrupted: true },
    ]);
    expect(text).toContain("verify: interrupted in health");
    expect(text).toContain("register: not run (build interrupted)");
    expect(text).not.toMatch(/failed|✖/);
  });

  it("escapes control characters, escape sequences and bidi overrides in titles, output and notes", async () => {
    const version = "2\u001b[2J\nFAKE: injected line";
    const title = "file /x\u001b[31mRED\u202e";
    const check = "ok\u001b]0;pwned-title\u0007";
    const raw = (
      await written([
        { type: "build-started", runId: "bake-1", lineage: "web", version, driver: "local", layers: ["app"] },
        start[1] as BuildEvent,
        { type: "note", message: "warning: \u001b[31mRED\u202e\nFAKE: note" },
        {
          type: "layer-started",
          layer: "app",
          index: 0,
          cacheKey: "sha256:bb",
          cached: false,
          steps: [title],
        },
        { type: "step-started", layer: "app", step: 0, title },
        {
          type: "output",
          stream: "stdout",
          line: "token s3cr3t accepted \u001b[31mred\u0007\ttab",
          layer: "app",
          step: 0,
        },
        { type: "step-finished", layer: "app", step: 0, ok: true, durationMs: 10, exitCode: 0 },
        {
          type: "layer-finished",
          layer: "app",
          index: 0,
          cached: false,
          ok: true,
          durationMs: 20,
          artifact: "sha256:ca",
        },
        { type: "verify-started", image: "sha256:ca", checks: [check] },
        { type: "check-started", check: 0, name: check },
        { type: "check-finished", check: 0, name: check, ok: true, attempts: 1, durationMs: 5 },
        { type: "registered", recordId: "sha256:1234567890abcdef", lineage: "web", version, build: 4 },
        { type: "build-finished", ok: true, durationMs: 100 },
      ])
    ).join("");
    // listr2 draws with its own escape sequences; none of the recipe's may reach the terminal.
    for (const hostile of [
      "\u001b[31mRED",
      "\u001b[31mred",
      "\u001b[2J",
      "\u001b]0;",
      "\u0007",
      "\u202e",
      "\nFAKE",
    ])
      expect(raw).not.toContain(hostile);
    const text = plain([raw]);
    expect(text).toContain("file /x\\e[31mRED\\u202e");
    expect(text).toContain("token *** accepted \\e[31mred\\x07\ttab");
    expect(text).toContain("ok\\e]0;pwned-title\\x07");
    expect(text).toContain("registered web 2\\e[2J\\nFAKE: injected line build 4");
    expect(text).toContain("warning: \\e[31mRED\\u202e\\nFAKE: note");
    expect(text).not.toContain("s3cr3t");
  });
});
