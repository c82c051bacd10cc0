import { describe, expect, it } from "vitest";
import { printable } from "../../src/util/printable.js";

describe("printable", () => {
  it("shows an OSC title sequence and a screen clear as escapes, not as terminal commands", () => {
    expect(printable("\u001b]0;PWNED\u0007\u001b[2J")).toBe("\\e]0;PWNED\\x07\\e[2J");
  });

  it("escapes C1 controls, DEL, NUL and bidirectional overrides", () => {
    expect(printable("a\u009bb\u007fc\u0000d\u202ee\u2066f")).toBe("a\\x9bb\\x7fc\\x00d\\u202ee\\u2066f");
  });

  it("keeps tabs and ordinary unicode, and newlines only when asked", () => {
    expect(printable("é\tü 日本")).toBe("é\tü 日本");
    expect(printable("one\ntwo\r")).toBe("one\\ntwo\\r");
    expect(printable("one\ntwo\r", { multiline: true })).toBe("one\ntwo\\r");
  });
});
