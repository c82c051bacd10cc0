import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../../src/cli/main.js";
import type { TextOut } from "../../../src/util/text-out.js";
import type { FakeCompute } from "../../fakes/gce/server.js";

/** A gce recipe on the fake's debian-12 family: a runtime layer, an app layer with a copy, and checks. */
export const WEB_RECIPE = `apiVersion: bake/v1
name: web
version: \${vars.app_version}
from: gce:projects/debian-cloud/global/images/family/debian-12
target: { driver: gce, project: bake-test, zone: us-central1-a, labels: { team: heroes } }
vars:
  app_version: { type: string, default: "2.4.0" }
  greeting: { type: string, default: "hello" }
layers:
  - name: runtime
    steps:
      - run: mkdir -p /opt/runtime && echo rt > /opt/runtime/VERSION
  - name: app
    steps:
      - copy: { from: app/, to: /opt/app/ }
      - run: echo "$APP_VERSION" > /opt/app/VERSION && printf %s "$GREETING" > /opt/app/greeting
        env: { APP_VERSION: "\${vars.app_version}", GREETING: "\${vars.greeting}" }
verify:
  - run: test "$(cat /opt/app/VERSION)" = "$APP_VERSION"
    env: { APP_VERSION: "\${vars.app_version}" }
  - file: { path: /opt/app/run.sh, mode: "0755" }
retain: { keep: 1 }
`;

/** A temporary project directory with the web recipe, its files, and its own manifest. */
export class GceProject {
  private constructor(readonly dir: string) {}

  static async create(): Promise<GceProject> {
    const project = new GceProject(await mkdtemp(join(tmpdir(), "bake-gce-cli-")));
    await project.write("recipe.yaml", WEB_RECIPE);
    await project.write("app/run.sh", "#!/bin/sh\necho running\n", 0o755);
    return project;
  }

  async write(path: string, content: string, mode = 0o644): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await writeFile(join(this.dir, path), content, { mode });
  }

  /** The environment bake sees: the fake endpoint, fast polling, this project's manifest. */
  env(fake: FakeCompute): Record<string, string> {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      BAKE_GCE_ENDPOINT: fake.endpoint,
      BAKE_GCE_PROJECT: "bake-test",
      BAKE_GCE_POLL_INTERVAL: "50ms",
      BAKE_GCE_RETRY_DELAY: "10ms",
      BAKE_MANIFEST: join(this.dir, "bake.lineage.jsonl"),
      NO_COLOR: "1",
      CI: "true",
    };
  }

  /** Runs `bake ARGS` in-process through `main`, as the CLI would. */
  async bake(
    fake: FakeCompute,
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const out = (append: (text: string) => void): TextOut => ({
      write: (text: string) => append(text),
      isTTY: false,
    });
    const code = await main(args, {
      cwd: this.dir,
      env: { ...this.env(fake), ...extraEnv },
      stdout: out((text) => {
        stdout += text;
      }),
      stderr: out((text) => {
        stderr += text;
      }),
      signal: new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
