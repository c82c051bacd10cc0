import { describe, expect, it } from "vitest";
import { code, escapeMarkdown } from "../../../src/run/ci/markdown.js";
import { renderJobSummary } from "../../../src/run/ci/summary.js";
import { outcome, record, report } from "./reports.js";

describe("renderJobSummary", () => {
  it("shows the record, its ancestry down to the external base, the layers and the verify results", () => {
    const text = renderJobSummary(report());
    expect(text).toMatch(/^### :white_check_mark: bake build registered web 2\.4\.0 build 12\n/);
    expect(text).toContain(`| id | \`sha256:${"a".repeat(64)}\` |`);
    expect(text).toContain(
      [
        `1. web 2.4.0 build 12: \`sha256:${"a".repeat(64)}\``,
        `2. web-base 1.0.0 build 3: \`sha256:${"b".repeat(64)}\``,
        "3. external base `gce:projects/debian-cloud/global/images/family/debian-12` resolved to `projects/debian-cloud/global/images/debian-12-bookworm-v20260110`",
      ].join("\n"),
    );
    expect(text).toContain(`| runtime | cached |  | \`sha256:${"e".repeat(64)}\` |`);
    expect(text).toContain(`| app | baked | 2.3s | \`sha256:${"c".repeat(64)}\` |`);
    expect(text).toContain("| health | :white_check_mark: pass | 3 | 1.5s |  |");
    expect(text.endsWith("\n\n")).toBe(true);
  });

  it("says what failed: the message, the failed layer and step, and a failed check's last output", () => {
    const text = renderJobSummary(
      report({
        record: undefined,
        ancestry: undefined,
        outcome: outcome({
          layers: [
            { name: "runtime", cached: false, ok: true, durationMs: 900 },
            {
              name: "app",
              cached: false,
              ok: false,
              durationMs: 300,
              failedStep: { index: 1, title: "run install.sh", exitCode: 7 },
            },
          ],
          verifyChecks: undefined,
          checks: [],
        }),
        failure: {
          code: "step-failed",
          message: 'layer "app", step 2 (run install.sh) failed',
          detail: "last output of the step:\n  | </pre><img src=x>",
          exitCode: 1,
        },
      }),
    );
    expect(text).toMatch(/^### :x: bake build failed: web 2\.4\.0\n/);
    expect(text).toContain(
      "<pre>layer &quot;app&quot;, step 2 (run install.sh) failed\nlast output of the step:\n  | &lt;/pre&gt;&lt;img src=x&gt;</pre>",
    );
    expect(text).toContain("Failed layer: app, step 2 (run install.sh), exit 7");
    expect(text).toContain("| app | :x: failed | 300ms |  |");
    expect(text).toContain("| health | not run | | | |");
  });

  it("escapes values from recipes so they cannot add HTML, links, images, emphasis, table cells or mentions", () => {
    const hostile =
      "<img src=x onerror=alert(1)> ![i](http://e/x.png) [l](javascript:x) **b** `c` | @team :x: # h";
    const text = renderJobSummary(
      report({
        record: record({ version: hostile, labels: { note: hostile } }),
        outcome: outcome({
          verifyChecks: [hostile],
          checks: [
            {
              index: 0,
              name: hostile,
              ok: false,
              attempts: 2,
              durationMs: 10,
              message: `${hostile}\nsecond line`,
              failedAttempts: [],
              output: "",
            },
          ],
        }),
      }),
    );
    const escaped =
      "&lt;img src=x onerror=alert(1)&gt; \\!\\[i\\](http\\://e/x.png) \\[l\\](javascript\\:x) \\*\\*b\\*\\* \\`c\\` \\| \\@team \\:x\\: \\# h";
    expect(text).toContain(`| version | ${escaped} |`);
    expect(text).toContain(`| ${escaped} | :x: fail | 2 | 10ms | ${escaped}<br>second line |`);
    expect(text).not.toMatch(/<img|(?<!\\)\]\(|(?<!\\)\|(?= @)/);
    // Every table row still has its own cells: no value added a pipe.
    for (const line of text
      .split("\n")
      .filter((entry) => entry.startsWith("| version") || entry.includes(":x: fail"))) {
      expect(line.split(/(?<!\\)\|/).length).toBe(line.startsWith("| version") ? 4 : 7);
    }
  });

  it("says up to date and shows the checks the existing image passed", () => {
    const text = renderJobSummary(
      report({ outcome: outcome({ upToDate: true, checks: [], verifyChecks: undefined }) }),
    );
    expect(text).toMatch(
      /^### :white_check_mark: bake build up to date: web 2\.4\.0 build 12 \(nothing rebuilt\)\n/,
    );
    expect(text).toContain("**Verify** (passed when build 12 was registered)");
    expect(text).toContain("| health | :white_check_mark: pass | 1 | 120ms | |");
  });
});

describe("Markdown escaping", () => {
  it("turns control characters into visible escapes and line breaks into <br>", () => {
    expect(escapeMarkdown("a\u001b[2Jb\r\nc\u202ed")).toBe("a\\\\e\\[2Jb\\\\r<br>c\\\\u202ed");
  });

  it("puts only id-like text in code spans", () => {
    expect(code("sha256:abc")).toBe("`sha256:abc`");
    expect(code("a`b")).toBe("a\\`b");
  });
});
