import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { validateRecipe } from "../../src/recipe/validate-recipe.js";

const file = join(mkdtempSync(join(tmpdir(), "bake-config-recipe-")), "recipe.yaml");
const head =
  "apiVersion: bake/v1\nname: web\nfrom: scratch\nlayers:\n  - name: app\n    steps: [{ run: 'true' }]\n";

describe("config: in a recipe", () => {
  test("normalises every field of the image config", () => {
    const result = validateRecipe(
      `${head}config:\n  entrypoint: [/app/server]\n  cmd: [--port, "8080"]\n  env: { APP_ENV: prod }\n  workdir: /app\n  user: "1000:1000"\n  exposedPorts: [8080/tcp, 53/udp]\n  stopSignal: SIGQUIT\n  labels: { org.example.team: web }\n`,
      { file },
    );
    expect(result.errors).toEqual([]);
    expect(result.recipe?.config).toEqual({
      entrypoint: ["/app/server"],
      cmd: ["--port", "8080"],
      env: { APP_ENV: "prod" },
      workdir: "/app",
      user: "1000:1000",
      exposedPorts: ["8080/tcp", "53/udp"],
      stopSignal: "SIGQUIT",
      labels: { "org.example.team": "web" },
    });
  });

  test("leaves config out of a recipe that has none", () => {
    const result = validateRecipe(head, { file });
    expect(result.errors).toEqual([]);
    expect(result.recipe && "config" in result.recipe).toBe(false);
  });

  test.each([
    ["a shell-form cmd", "cmd: httpd -f"],
    ["a port without its protocol", "exposedPorts: ['8080']"],
    ["a relative workdir", "workdir: app"],
    ["a signal without SIG", "stopSignal: TERM"],
    ["an invalid env name", "env: { 'A-B': x }"],
    ["an unknown key", "entryPoint: [x]"],
  ])("refuses %s at its line and column", (_name, line) => {
    const result = validateRecipe(`${head}config:\n  ${line}\n`, { file });
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors[0]?.location?.line).toBe(8);
  });
});
