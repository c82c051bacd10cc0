// biome-ignore-all lint/suspicious/noTemplateCurlyInString: plans spell ${vars.NAME} literally.
import { describe, expect, it } from "vitest";
import { renderPlan } from "../../src/plan/render.js";
import type { BuildPlan } from "../../src/plan/types.js";

const plain = { bold: (t: string) => t, dim: (t: string) => t, cyan: (t: string) => t };

function planWith(overrides: Partial<BuildPlan>): BuildPlan {
  return {
    apiVersion: "bake/plan/v1",
    lineage: "web",
    version: "2.4.0",
    recipe: { file: "/r/recipe.yaml", root: "/r", digest: "sha256:aa" },
    parent: {
      kind: "external",
      ref: "oci-archive:./base.tar",
      scheme: "oci-archive",
      location: "/r/base.tar",
    },
    target: { driver: "local", options: {} },
    layers: [
      {
        name: "app",
        inputsDigest: "sha256:bb",
        steps: [
          {
            kind: "run",
            title: "run make",
            script: "make",
            env: { A: "1", T: { secret: "${vars.token}" } },
            timeoutMs: 900_000,
          },
        ],
      },
    ],
    verify: [
      {
        kind: "run",
        name: "works",
        argv: ["/bin/true"],
        env: {},
        retries: 2,
        intervalMs: 1500,
        timeoutMs: 90_000,
      },
    ],
    labels: {},
    vars: {},
    secrets: ["token"],
    ...overrides,
  };
}

describe("renderPlan", () => {
  it("writes durations the way recipes do", () => {
    const out = renderPlan(planWith({}), plain);
    expect(out).toContain("timeout 15m");
    expect(out).toContain("(timeout 1m30s, 2 retries every 1.5s)");
  });

  it("shows a secret env value only as a template marker", () => {
    const out = renderPlan(planWith({}), plain);
    expect(out).toContain('env A="1" T=<secret template>');
    expect(out).toContain("secrets  token (values supplied at build)");
  });

  it("shows where an archive parent resolved to", () => {
    expect(renderPlan(planWith({}), plain)).toContain(
      "parent   oci-archive:./base.tar (external, /r/base.tar)",
    );
  });

  it("says when there are no checks", () => {
    expect(renderPlan(planWith({ verify: [] }), plain)).toContain("verify (no checks)");
  });

  it("shows each rollout check as the GET it sends, its name when it has one, escaped", () => {
    const check = {
      kind: "http" as const,
      port: 8080,
      status: 200,
      retries: 0,
      intervalMs: 1000,
      timeoutMs: 30_000,
    };
    const out = renderPlan(
      planWith({
        rollout: {
          checks: [
            { ...check, path: "/health", name: "http: :8080/health" },
            { ...check, path: "/ready", name: "app \u001b[31mready" },
          ],
        },
      }),
      plain,
    );
    expect(out).toContain("rollout  GET :8080/health answers 200\n");
    expect(out).toContain("rollout  GET :8080/ready answers 200 (app \\e[31mready)");
  });
});
