import { afterEach, describe, expect, it, vi } from "vitest";
import type { BuildEvent } from "../../../src/drivers/events.js";
import { createRedactor } from "../../../src/drivers/redact.js";
import { createListrTree } from "../../../src/run/reporters/listr-tree.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 60));
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal escapes to read the text.
const plain = (chunks: string[]) => chunks.join("").replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");

function build(lineage: string, step: string): BuildEvent[] {
  return [
    {
      type: "build-started",
      runId: `bake-${lineage}`,
      lineage,
      version: "1.0.0",
      driver: "local",
      layers: ["app"],
    },
    { type: "parent-resolved", ref: "host", id: "sha256:0123456789abcdef0123" },
    { type: "layer-started", layer: "app", index: 0, cacheKey: "sha256:bb", cached: false, steps: [step] },
    { type: "step-started", layer: "app", step: 0, title: step },
  ];
}

function finish(lineage: string): BuildEvent[] {
  return [
    { type: "step-finished", layer: "app", step: 0, ok: true, durationMs: 10, exitCode: 0 },
    {
      type: "layer-finished",
      layer: "app",
      index: 0,
      cached: false,
      ok: true,
      durationMs: 20,
      artifact: "sha256:cafe00",
    },
    { type: "verify-started", image: "sha256:cafe", checks: [] },
    { type: "registered", recordId: "sha256:1234567890abcdef", lineage, version: "1.0.0", build: 1 },
    { type: "build-finished", ok: true, durationMs: 100 },
  ];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("listr tree view", () => {
  it("shows a task per recipe, two builds running side by side, and why a recipe never started", async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const view = await createListrTree({ lineages: ["base", "web", "worker", "admin"], forceTTY: true });
    const base = await view.reporterFor("base", createRedactor({}));
    for (const event of [...build("base", "run: setup"), ...finish("base")]) base.emit(event);
    await base.close();
    // web and worker build at the same time: both steps are running in one frame.
    const web = await view.reporterFor("web", createRedactor({ token: "s3cr3t" }));
    const worker = await view.reporterFor("worker", createRedactor({}));
    for (const event of build("web", "run: install s3cr3t")) web.emit(event);
    for (const event of build("worker", "run: compile")) worker.emit(event);
    for (let i = 0; i < 100 && !/run: install \*\*\*[\s\S]*run: compile/.test(plain(written)); i++)
      await tick();
    const frame = plain(written);
    expect(frame).toMatch(/run: install \*\*\*[\s\S]*run: compile/);
    for (const event of finish("web")) web.emit(event);
    for (const event of finish("worker")) worker.emit(event);
    await web.close();
    await worker.close();
    await view.finish(new Map([["admin", "its parent web failed"]]));
    const text = plain(written);
    expect(text).toContain("registered web 1.0.0 build 1");
    expect(text).toContain("registered worker 1.0.0 build 1");
    expect(text).toContain("admin: its parent web failed");
    expect(text).not.toContain("s3cr3t");
  });
});
