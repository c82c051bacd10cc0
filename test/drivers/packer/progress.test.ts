import { describe, expect, it } from "vitest";
import type { BuildEvent } from "../../../src/drivers/events.js";
import { parseMachineLine } from "../../../src/drivers/packer/machine-readable.js";
import { LayerProgress } from "../../../src/drivers/packer/progress.js";
import { VerifyProgress } from "../../../src/drivers/packer/verify-progress.js";
import { createRedactor } from "../../../src/drivers/redact.js";

function feed(
  target: { line: (line: NonNullable<ReturnType<typeof parseMachineLine>>) => void },
  lines: string[],
) {
  for (const text of lines) {
    const line = parseMachineLine(text);
    if (line) target.line(line);
  }
}

describe("layer progress from Packer's lines", () => {
  it("starts steps when Packer names their upload or script, and files output under the layer and step", () => {
    const events: BuildEvent[] = [];
    const progress = new LayerProgress({
      layer: "app",
      titles: ["copy app/ -> /opt/app/", "run make"],
      markers: [
        { text: "=> /tmp/bake-stage-2-1", step: 0 },
        { text: "/02-app/step-01.sh", step: 0 },
        { text: "/02-app/step-02.sh", step: 1 },
      ],
      reporter: { emit: (event) => events.push(event), close: async () => {} },
      redact: (text) => text.replaceAll("hunter2", "***"),
    });
    feed(progress, [
      "1,,ui,message,    docker.bake: Container ID: 8c8f",
      "1,,ui,say,==> docker.bake: Uploading /src/app/ => /tmp/bake-stage-2-1",
      "1,,ui,say,==> docker.bake: Provisioning with shell script: /tmp/x/02-app/step-01.sh",
      "1,,ui,say,==> docker.bake: Provisioning with shell script: /tmp/x/02-app/step-02.sh",
      "1,,ui,message,    docker.bake: built 3 files%!(PACKER_COMMA) token hunter2",
      "1,,ui,error,==> docker.bake: warning: slow disk",
    ]);
    progress.finish(false);
    const kinds = events.map((event) =>
      event.type === "step-started" || event.type === "step-finished"
        ? `${event.type}:${event.step}`
        : event.type,
    );
    expect(kinds).toEqual([
      "note",
      "step-started:0",
      "note",
      "note",
      "step-finished:0",
      "step-started:1",
      "note",
      "output",
      "output",
      "step-finished:1",
    ]);
    expect(events).toContainEqual({
      type: "output",
      stream: "stdout",
      line: "built 3 files, token ***",
      layer: "app",
      step: 1,
    });
    expect(events).toContainEqual({
      type: "output",
      stream: "stderr",
      line: "warning: slow disk",
      layer: "app",
      step: 1,
    });
    expect(events.at(-1)).toMatchObject({ type: "step-finished", step: 1, ok: false });
  });
});

describe("secrets in Packer's lines", () => {
  it("hides each line of a multi-line secret and its base64 form, though Packer reports one line at a time", () => {
    const key = [
      "-----BEGIN OPENSSH PRIVATE KEY-----",
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
      "-----END OPENSSH PRIVATE KEY-----",
      "",
    ].join("\n");
    const events: BuildEvent[] = [];
    const progress = new LayerProgress({
      layer: "app",
      titles: ["run cat key"],
      markers: [{ text: "/01-app/step-01.sh", step: 0 }],
      reporter: { emit: (event) => events.push(event), close: async () => {} },
      // The drivers and the runner share one redactor: the same forms are hidden on every path.
      redact: createRedactor({ key }),
    });
    const encoded = Buffer.from(key).toString("base64");
    feed(progress, [
      "1,,ui,say,==> docker.bake: Provisioning with shell script: /tmp/x/01-app/step-01.sh",
      ...key
        .trimEnd()
        .split("\n")
        .map((line) => `1,,ui,message,    docker.bake: ${line}`),
      `1,,ui,message,    docker.bake: ${encoded}`,
    ]);
    progress.finish(true);
    const shown = events.map((event) => JSON.stringify(event)).join("\n");
    for (const line of key.trimEnd().split("\n")) expect(shown).not.toContain(line);
    expect(shown).not.toContain(encoded);
    expect(events.filter((event) => event.type === "output").map((event) => event.line)).toEqual([
      "***",
      "***",
      "***",
      "***",
    ]);
  });
});

describe("verify progress from Packer's lines", () => {
  it("reports each check from its markers, with its output, and a check that never ran as failed", () => {
    const events: BuildEvent[] = [];
    const timing = { retries: 0, intervalMs: 10, timeoutMs: 1000 };
    const progress = new VerifyProgress({
      nonce: "abc",
      checks: [
        { kind: "run", name: "one", env: {}, script: "true", ...timing },
        { kind: "run", name: "two", env: {}, script: "false", ...timing },
        { kind: "run", name: "three", env: {}, script: "true", ...timing },
      ],
      reporter: { emit: (event) => events.push(event), close: async () => {} },
      redact: (text) => text,
    });
    feed(progress, [
      "1,,ui,message,    docker.bake: bake-check:abc:0:start",
      "1,,ui,message,    docker.bake: bake-check:abc:0:ok:1",
      "1,,ui,message,    docker.bake: bake-check:abc:1:start",
      "1,,ui,message,    docker.bake: expected 2.4%!(PACKER_COMMA) got 2.3",
      "1,,ui,message,    docker.bake: bake-check:forged:2:ok:1",
      "1,,ui,message,    docker.bake: bake-check:abc:1:fail:3:1",
    ]);
    const results = progress.checkResults();
    expect(results.map((result) => [result.name, result.ok, result.attempts])).toEqual([
      ["one", true, 1],
      ["two", false, 3],
      ["three", false, 0],
    ]);
    expect(results[1]?.message).toBe("exit code 1: bake-check:forged:2:ok:1");
    expect(progress.checksFailed).toBe(false);
    // The closing provisioner's verdict, forged by check output or not, is only believed with the nonce.
    feed(progress, ["1,,ui,message,    docker.bake: bake-check:forged:summary:failed"]);
    expect(progress.checksFailed).toBe(false);
    feed(progress, ["1,,ui,message,    docker.bake: bake-check:abc:summary:failed"]);
    expect(progress.checksFailed).toBe(true);
    expect(events).toContainEqual({
      type: "output",
      stream: "stdout",
      line: "expected 2.4, got 2.3",
      check: 1,
    });
  });
});
