// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
import type { Recipe } from "../../src/recipe/types.js";

/** A small valid normalised recipe rooted at `root`, for compiler tests; override any field. */
export function makeRecipe(root: string, overrides: Partial<Recipe> = {}): Recipe {
  return {
    apiVersion: "bake/v1",
    name: "web",
    version: "${vars.app_version}",
    from: "base@stable",
    target: { driver: "local", options: {} },
    vars: {
      app_version: { type: "string", default: "2.4.0", secret: false },
      port: { type: "number", default: 8080, secret: false },
      api_token: { type: "string", secret: true },
    },
    layers: [
      {
        name: "runtime",
        steps: [{ kind: "run", script: "apk add nodejs\necho done", env: {} }],
      },
      {
        name: "app",
        steps: [
          { kind: "copy", from: "dist/", to: "/opt/app/", mode: 0o755 },
          {
            kind: "run",
            argv: ["/opt/app/install.sh", "--port", "${vars.port}"],
            env: { APP_VERSION: "${vars.app_version}", TOKEN: "Bearer ${vars.api_token}" },
          },
          { kind: "file", path: "/etc/app/version", content: "${vars.app_version}\n", mode: 0o644 },
        ],
      },
    ],
    verify: [
      {
        kind: "http",
        name: "health",
        url: "http://127.0.0.1:${vars.port}/health",
        status: 200,
        retries: 3,
        intervalMs: 1000,
        timeoutMs: 5000,
      },
    ],
    labels: { team: "heroes", version: "${vars.app_version}" },
    source: { file: `${root}/recipe.yaml`, root },
    ...overrides,
  };
}

/** The context values matching {@link makeRecipe}'s variables. */
export const VARS = { app_version: "2.4.0", port: 8080 };
export const SECRET_NAMES = ["api_token"];
