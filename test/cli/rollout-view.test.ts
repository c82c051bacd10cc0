import { describe, expect, test } from "vitest";
import { describeRolloutEvent, withRolloutView } from "../../src/cli/rollout-view.js";
import type { RolloutEvent } from "../../src/fleet/rollout.js";
import type { TextOut } from "../../src/util/text-out.js";

const progress: RolloutEvent = {
  type: "rollout-progress",
  phase: "rollout",
  group: "web",
  template: "bake-web-2-abc",
  replaced: 7,
  total: 20,
  instances: 23,
  healthy: 20,
};

function sink(): TextOut & { text: string } {
  const out = {
    text: "",
    isTTY: false,
    write: (chunk: string) => {
      out.text += chunk;
    },
  };
  return out;
}

describe("the rollout view", () => {
  test("says replaced out of total, instances and healthy ones", () => {
    expect(describeRolloutEvent(progress)).toBe("rollout web: 7/20 replaced (23 instances, 20 healthy)");
    expect(describeRolloutEvent({ ...progress, phase: "rollback" })).toBe(
      "rollback web: 7/20 rolled back (23 instances, 20 healthy)",
    );
  });

  test("writes one JSON object per event with --json, and timestamped lines in CI", async () => {
    const json = sink();
    const value = await withRolloutView({
      mode: "json",
      out: json,
      title: "rollout web",
      work: async (emit) => {
        emit(progress);
        return 42;
      },
    });
    expect(value).toBe(42);
    expect(JSON.parse(json.text)).toEqual({ time: expect.stringMatching(/^\d{4}-/), ...progress });
    const plain = sink();
    await withRolloutView({
      mode: "plain",
      out: plain,
      title: "rollout web",
      work: async (emit) => emit(progress),
    });
    expect(plain.text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} rollout web: 7\/20 replaced/);
  });

  test("runs the work inside a listr2 task on a terminal and passes its result and failures through", async () => {
    const out = sink();
    const value = await withRolloutView({
      mode: "tty",
      out,
      title: "rollout web",
      work: async (emit) => {
        emit(progress);
        emit({ type: "rollout-note", message: "warning: web#2 is deprecated" });
        return "done";
      },
    });
    expect(value).toBe("done");
    expect(out.text).toContain("warning: web#2 is deprecated");
    await expect(
      withRolloutView({
        mode: "tty",
        out,
        title: "rollout web",
        work: async () => {
          throw new Error("boom");
        },
      }),
    ).rejects.toThrow("boom");
  });
});
