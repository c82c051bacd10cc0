import { describe, expect, it } from "vitest";
import type { BuildEvent } from "../../../src/drivers/events.js";
import { createRedactor } from "../../../src/drivers/redact.js";
import { createReporter, reporterMode } from "../../../src/run/reporters/index.js";

function sink(isTTY = false) {
  const chunks: string[] = [];
  return { out: { write: (text: string) => chunks.push(text), isTTY }, text: () => chunks.join("") };
}

const secrets = { token: "s3cr3t-value", other: 'with "quotes" and \\' };

const events: BuildEvent[] = [
  {
    type: "build-started",
    runId: "bake-1-abc",
    lineage: "web",
    version: "1.0.0",
    driver: "local",
    layers: ["app"],
  },
  { type: "parent-resolved", ref: "dir:/rootfs", id: "sha256:0123456789abcdef0123" },
  {
    type: "layer-started",
    layer: "app",
    index: 0,
    cacheKey: "sha256:aaaaaaaaaaaaaaaaaaaa",
    cached: false,
    steps: ["run: deploy"],
  },
  { type: "step-started", layer: "app", step: 0, title: "run: deploy" },
  { type: "output", stream: "stdout", line: "using token s3cr3t-value now", layer: "app", step: 0 },
  { type: "output", stream: "stderr", line: 'other is with "quotes" and \\', layer: "app", step: 0 },
  { type: "step-finished", layer: "app", step: 0, ok: true, durationMs: 1200, exitCode: 0 },
  {
    type: "layer-finished",
    layer: "app",
    index: 0,
    ok: true,
    cached: false,
    durationMs: 1300,
    artifact: "sha256:bbbbbbbbbbbbbbbbbbbbbb",
  },
  { type: "verify-started", image: "sha256:bbbbbbbbbbbbbbbbbbbbbb", checks: ["health"] },
  { type: "check-started", check: 0, name: "health" },
  { type: "check-finished", check: 0, name: "health", ok: true, attempts: 1, durationMs: 20 },
  {
    type: "registered",
    recordId: "sha256:cccccccccccccccccccccc",
    lineage: "web",
    version: "1.0.0",
    build: 3,
  },
  { type: "build-finished", ok: true, durationMs: 1500, recordId: "sha256:cccccccccccccccccccccc" },
];

// Clears the screen and, with a newline, tries to pass for a line of its own.
const VERSION = "2\u001b[2J\nFAKE: injected line";
// Colours the text red and (the bidi override) reverses what follows it.
const TITLE = "file /x\u001b[31mRED\u202e";
const OUTPUT = "out\u001b[31mred\u0007\ttab\r";

// What must never reach a terminal: C0 controls but tab and newline, DEL, C1 controls and bidi overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

const hostile: BuildEvent[] = [
  {
    type: "build-started",
    runId: "bake-1",
    lineage: "web",
    version: VERSION,
    driver: "local",
    layers: ["app"],
  },
  { type: "step-started", layer: "app", step: 0, title: TITLE },
  { type: "output", stream: "stdout", line: OUTPUT, layer: "app", step: 0 },
  { type: "check-started", check: 0, name: "ok\u001b]0;pwned-title\u0007" },
  // Not printed by line reporters: a check attempt that passed.
  { type: "check-attempt", check: 0, attempt: 1, ok: true },
  {
    type: "registered",
    recordId: "sha256:cccccccccccccccccccccc",
    lineage: "web",
    version: VERSION,
    build: 1,
  },
  {
    type: "build-finished",
    ok: false,
    durationMs: 1500,
    error: `step ${TITLE.slice(5)} failed: s3cr3t-value`,
  },
];

describe("reporters", () => {
  it("redacts every secret value, longest first", () => {
    const redact = createRedactor({ a: "abc", b: "abcdef", empty: "" });
    expect(redact("x abcdef y abc z")).toBe("x *** y *** z");
    expect(redact("nothing here")).toBe("nothing here");
  });

  it("prints plain timestamped lines with secrets hidden", async () => {
    const { out, text } = sink();
    const reporter = await createReporter({ mode: "plain", out, secrets });
    for (const event of events) reporter.emit(event);
    await reporter.close();
    const lines = text().trimEnd().split("\n");
    expect(lines.every((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line))).toBe(true);
    expect(text()).toContain("app:1 | using token *** now");
    expect(text()).toContain("other is ***\n");
    expect(text()).not.toContain("s3cr3t");
    expect(text()).toContain("registered web 1.0.0 build 3");
    expect(text()).toContain("layer app step 1: ok in 1.2s");
  });

  it("prints one JSON event per line with a timestamp, secrets hidden and JSON intact", async () => {
    const { out, text } = sink();
    const reporter = await createReporter({ mode: "json", out, secrets });
    for (const event of events) reporter.emit(event);
    await reporter.close();
    const parsed = text()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { time: string; type: string; line?: string });
    expect(parsed.map((event) => event.type)).toEqual(events.map((event) => event.type));
    expect(parsed.every((event) => !Number.isNaN(Date.parse(event.time)))).toBe(true);
    expect(parsed[4]?.line).toBe("using token *** now");
    expect(parsed[5]?.line).toBe("other is ***");
    expect(text()).not.toContain("s3cr3t");
  });

  it("escapes control characters, escape sequences and bidi overrides, one line per event, tabs kept", async () => {
    const { out, text } = sink();
    const reporter = await createReporter({ mode: "plain", out, secrets });
    for (const event of hostile) reporter.emit(event);
    await reporter.close();
    expect(RAW.test(text()), text()).toBe(false);
    const lines = text().trimEnd().split("\n");
    expect(lines).toHaveLength(hostile.length - 1);
    expect(lines.every((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line))).toBe(true);
    expect(text()).toContain("build web 2\\e[2J\\nFAKE: injected line with local");
    expect(text()).toContain("layer app step 1: file /x\\e[31mRED\\u202e");
    expect(text()).toContain("  app:1 | out\\e[31mred\\x07\ttab\\r");
    expect(text()).toContain("check 1: ok\\e]0;pwned-title\\x07");
    expect(text()).toContain("registered web 2\\e[2J\\nFAKE: injected line build 1");
    expect(text()).toContain("build failed after 1.5s: step /x\\e[31mRED\\u202e failed: ***");
    expect(text()).not.toContain("s3cr3t");
  });

  it("keeps recipe text raw in JSON lines, where JSON escapes it", async () => {
    const { out, text } = sink();
    const reporter = await createReporter({ mode: "json", out, secrets });
    for (const event of hostile) reporter.emit(event);
    await reporter.close();
    expect(RAW.test(text().replace(/\u202e/gu, ""))).toBe(false);
    const parsed = text()
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toHaveLength(hostile.length);
    expect(parsed[0]?.version).toBe(VERSION);
    expect(parsed[1]?.title).toBe(TITLE);
    expect(parsed[2]?.line).toBe(OUTPUT);
  });

  it("prints what an interruption stopped as interrupted, not failed", async () => {
    const { out, text } = sink();
    const reporter = await createReporter({ mode: "plain", out, secrets });
    const stopped: BuildEvent[] = [
      {
        type: "step-finished",
        layer: "app",
        step: 0,
        ok: false,
        durationMs: 1200,
        exitCode: 143,
        interrupted: true,
      },
      {
        type: "layer-finished",
        layer: "app",
        index: 0,
        ok: false,
        cached: false,
        durationMs: 1300,
        interrupted: true,
      },
      {
        type: "build-finished",
        ok: false,
        durationMs: 1500,
        error: "interrupted by SIGINT",
        interrupted: true,
      },
    ];
    for (const event of stopped) reporter.emit(event);
    await reporter.close();
    expect(text()).toContain("layer app step 1: interrupted after 1.2s");
    expect(text()).toContain("layer app: interrupted after 1.3s");
    expect(text()).toContain("build interrupted after 1.5s");
    expect(text()).not.toContain("failed");
  });

  it("chooses live tasks only on a terminal outside CI", () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true, isTTY: false };
    expect(reporterMode({ json: false, out: tty, env: {} })).toBe("tty");
    expect(reporterMode({ json: false, out: tty, env: { CI: "true" } })).toBe("plain");
    expect(reporterMode({ json: false, out: pipe, env: {} })).toBe("plain");
    expect(reporterMode({ json: true, out: tty, env: {} })).toBe("json");
  });
});
