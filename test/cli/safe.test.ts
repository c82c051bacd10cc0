import { describe, expect, it } from "vitest";
import { safe } from "../../src/cli/manifest-support.js";

describe("safe", () => {
  it("returns a value with nothing to escape as it is, without copying it", () => {
    const history = [{ lineage: "web", entries: [{ id: "sha256:1", labels: { team: "a" } }] }];
    expect(safe(history)).toBe(history);
    expect(safe(history[0])).toBe(history[0]);
  });

  it("copies only the path to what it escapes, keys included, in the same key order, and leaves the value alone", () => {
    const untouched = { team: "a" };
    const value = {
      lineage: "web",
      reason: "evil\u001b[2Jtext",
      labels: untouched,
      "bad\u202ekey": 1,
      list: ["ok", "bell\u0007"],
    };
    const shown = safe(value);
    expect(shown).not.toBe(value);
    expect(shown).toEqual({
      lineage: "web",
      reason: "evil\\e[2Jtext",
      labels: { team: "a" },
      "bad\\u202ekey": 1,
      list: ["ok", "bell\\x07"],
    });
    expect(Object.keys(shown)).toEqual(["lineage", "reason", "labels", "bad\\u202ekey", "list"]);
    expect(shown.labels).toBe(untouched);
    expect(value.reason).toBe("evil\u001b[2Jtext");
    expect(value.list).toEqual(["ok", "bell\u0007"]);
  });
});
