import { main } from "../../src/cli/main.js";
import type { Project } from "../e2e/project.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: Record<string, unknown>[];
}

/** Runs the CLI in-process in the project, as CI would (`CI=true`). */
export async function bake(project: Project, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    cwd: project.dir,
    env: { PATH: process.env.PATH, CI: "true", ...env },
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    signal: new AbortController().signal,
  });
  const stdout = out.join("");
  // JSON lines from `build --json`; other commands print one pretty document.
  const lines =
    args[0] === "build"
      ? stdout
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      : [];
  return { code, stdout, stderr: err.join(""), lines };
}

/** A one-layer local recipe whose check looks for /opt/NAME. */
export function recipe(options: { name: string; from: string; step: string; version?: string }): string {
  return [
    "apiVersion: bake/v1",
    `name: ${options.name}`,
    `version: ${JSON.stringify(options.version ?? "1.0.0")}`,
    `from: ${options.from}`,
    "target: { driver: local, network: none }",
    "layers:",
    "  - name: main",
    "    steps:",
    `      - run: ${JSON.stringify(options.step)}`,
    "verify:",
    `  - run: test -f /opt/${options.name}`,
    "",
  ].join("\n");
}

// base -> runtime -> three apps, and an unrelated lineage beside them.
export async function writeTree(
  project: Project,
  overrides: { base?: string; runtime?: string } = {},
): Promise<void> {
  await project.write(
    "images/base/recipe.yaml",
    recipe({ name: "base", from: "host", step: overrides.base ?? "mkdir -p /opt && echo v1 > /opt/base" }),
  );
  await project.write(
    "images/runtime/recipe.yaml",
    recipe({
      name: "runtime",
      from: "base",
      step: overrides.runtime ?? "test -f /opt/base && touch /opt/runtime",
    }),
  );
  for (const app of ["app-a", "app-b", "app-c"]) {
    await project.write(
      `images/${app}/recipe.yaml`,
      recipe({
        name: app,
        from: "runtime@stable",
        step: `test -f /opt/runtime && sleep 0.4 && touch /opt/${app}`,
      }),
    );
  }
  await project.write(
    "images/solo.bake.yaml",
    recipe({ name: "solo", from: "host", step: "mkdir -p /opt && touch /opt/solo" }),
  );
  // Dependencies and dot-directories are never searched.
  await project.write("images/node_modules/x/recipe.yaml", "not: a recipe\n");
  await project.write("images/.hidden/recipe.yaml", "not: a recipe\n");
}
