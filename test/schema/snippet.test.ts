import { describe, expect, test } from "vitest";
import { applyCompletion, expandSnippet } from "./snippet.js";

// The editor.test.ts helper that inserts completions as an editor does; LSP snippet text is not a JS template.
describe("inserting a completion", () => {
  test("fills placeholders with their defaults, unescapes, and puts the cursor at the first tab stop", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: LSP snippet syntax
    expect(expandSnippet("run: ${1:echo \\$HOME}\nenv: ${2|host,none|}$0")).toEqual({
      text: "run: echo $HOME\nenv: host",
      cursor: 5,
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: LSP snippet syntax
    expect(expandSnippet("a: ${1:${2:x}y}\\}")).toEqual({ text: "a: xy}", cursor: 3 });
    expect(expandSnippet("verify:\n  - ")).toEqual({ text: "verify:\n  - ", cursor: 12 });
  });

  test("refuses snippet syntax it does not know instead of inserting it verbatim", () => {
    expect(() => expandSnippet("run: $HOME")).toThrow(/unsupported snippet syntax/);
    expect(() => expandSnippet("run: ${1:open")).toThrow(/unclosed placeholder/);
  });

  test("indents every inserted line after the first like the line the cursor is on", () => {
    const document = "verify:\n  - \n";
    const item = {
      textEdit: {
        range: { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: LSP snippet syntax
        newText: "http:\n    url: ${1:http://127.0.0.1/}\n  retries: 10",
      },
    };
    expect(applyCompletion(document, item, { line: 1, character: 4 })).toEqual({
      text: "verify:\n  - http:\n      url: http://127.0.0.1/\n    retries: 10\n",
      cursor: "verify:\n  - http:\n      url: ".length,
    });
  });
});
