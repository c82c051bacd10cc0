import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ensureBuilt, repo, runBake } from "../helpers/compiled-cli.js";
import { junitSchemaErrors } from "../helpers/junit-schema.js";

interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, { steps: WorkflowStep[]; env?: Record<string, string> }>;
}

// The steps that need the internet: bake comes from this checkout's compiled CLI instead.
const SKIPPED_RUN_STEPS = ["Install bake"];

// The YAML blocks of README's "bake in CI" section, in order.
async function readmeBlocks(): Promise<string[]> {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const start = readme.indexOf("\n## bake in CI\n");
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/** One simulated workflow run: every step's exit code, output and job summary. */
interface StepRun {
  name: string;
  code: number;
  stdout: string;
  stderr: string;
  summary: string;
}

async function git(args: string[], cwd: string): Promise<string> {
  const result = await execa("git", args, {
    cwd,
    env: {
      GIT_AUTHOR_NAME: "ci",
      GIT_AUTHOR_EMAIL: "ci@example.com",
      GIT_COMMITTER_NAME: "ci",
      GIT_COMMITTER_EMAIL: "ci@example.com",
    },
  });
  return result.stdout;
}

let root: string;
let workflow: Workflow;
let manifestLocation: string;
let binDir: string;

beforeAll(async () => {
  await ensureBuilt();
  const blocks = await readmeBlocks();
  const github = blocks.find((block) => /^jobs:/m.test(block));
  expect(github).toBeDefined();
  workflow = parse(github as string) as Workflow;

  root = await mkdtemp(join(tmpdir(), "bake-ci-readme-"));
  // `bake` on PATH is this checkout's compiled CLI, as `npm install --global @bakehq/bake` would provide.
  binDir = join(root, "bin");
  await mkdir(binDir);
  await writeFile(
    join(binDir, "bake"),
    `#!/bin/sh\nexec "${process.execPath}" "${join(repo, "bin/bake.js")}" "$@"\n`,
  );
  await chmod(join(binDir, "bake"), 0o755);

  // The repository: the example recipes under images/, pushed to a bare remote with a tag.
  const remote = join(root, "remote.git");
  await git(["init", "--bare", "--initial-branch=main", remote], root);
  const seed = join(root, "seed");
  await git(["init", "--initial-branch=main", seed], root);
  await cp(join(repo, "examples/base"), join(seed, "images/base"), { recursive: true });
  await cp(join(repo, "examples/app"), join(seed, "images/app"), { recursive: true });
  await writeFile(join(seed, ".gitignore"), ".bake/\nreports/\n");
  await git(["add", "-A"], seed);
  await git(["commit", "-qm", "images"], seed);
  await git(["tag", "v1.0.0"], seed);
  await git(["remote", "add", "origin", remote], seed);
  await git(["push", "-q", "origin", "main", "v1.0.0"], seed);

  // The shared lineage: the remote's own bake/lineage branch, as the README's workflow has it.
  manifestLocation = `git+file://${remote}#bake/lineage`;
  const probe = await runBake(["manifest", "info", "--manifest", manifestLocation], { cwd: root });
  expect(probe.code, probe.stderr).toBe(0);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

// Runs the workflow's `run:` steps verbatim in `workspace`, with the environment Actions gives a step.
async function runWorkflow(options: {
  workspace: string;
  ref: { type: "branch" | "tag"; name: string };
}): Promise<StepRun[]> {
  const job = Object.values(workflow.jobs)[0] as { steps: WorkflowStep[] };
  const runs: StepRun[] = [];
  let index = 0;
  for (const step of job.steps) {
    index += 1;
    if (step.run === undefined) continue;
    if (SKIPPED_RUN_STEPS.includes(step.name ?? "")) continue;
    if (!conditionHolds(step.if, options.ref.type)) continue;
    const summary = join(options.workspace, "..", `summary-${options.ref.name}-${index}.md`);
    await writeFile(summary, "");
    // GitHub's default shell for `run:` on Linux.
    const result = await execa("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
      cwd: options.workspace,
      env: {
        PATH: `${binDir}:${process.env.PATH}`,
        HOME: process.env.HOME ?? "/root",
        ...workflowEnv(),
        ...step.env,
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_WORKSPACE: options.workspace,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_REF_TYPE: options.ref.type,
        GITHUB_REF_NAME: options.ref.name,
        GITHUB_REF: `refs/${options.ref.type === "tag" ? "tags" : "heads"}/${options.ref.name}`,
        GITHUB_RUN_ID: `run-${options.ref.name}`,
        GITHUB_SHA: await git(["rev-parse", "HEAD"], options.workspace),
      },
      extendEnv: false,
      reject: false,
    });
    runs.push({
      name: step.name ?? step.run,
      code: result.exitCode ?? -1,
      stdout: result.stdout,
      stderr: result.stderr,
      summary: await readFile(summary, "utf8"),
    });
  }
  return runs;
}

// The workflow-level environment, with the one expression it has (the repository's URL) pointing at the test's
// shared lineage instead.
function workflowEnv(): Record<string, string> {
  const env = workflow.env ?? {};
  expect(Object.keys(env)).toEqual(["BAKE_MANIFEST"]);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
  expect(env.BAKE_MANIFEST).toBe("git+https://github.com/${{ github.repository }}.git#bake/lineage");
  return { BAKE_MANIFEST: manifestLocation };
}

function conditionHolds(condition: string | undefined, refType: "branch" | "tag"): boolean {
  if (condition === undefined) return true;
  if (condition === "github.ref_type == 'tag'") return refType === "tag";
  throw new Error(`the test does not know the condition "${condition}"`);
}

function step(runs: StepRun[], name: string): StepRun {
  const found = runs.find((run) => run.name === name);
  expect(found, `step "${name}" ran`).toBeDefined();
  return found as StepRun;
}

function expectAllPassed(runs: StepRun[]): void {
  for (const run of runs) {
    expect({ step: run.name, code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({
      step: run.name,
      code: 0,
      stderr: "",
    });
  }
}

async function junitCases(file: string): Promise<string[]> {
  const xml = await readFile(file, "utf8");
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(await junitSchemaErrors(xml)).toEqual([]);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === "testcase" }).parse(xml);
  return (doc.testsuites.testsuite.testcase as { "@_name": string }[]).map((entry) => entry["@_name"]);
}

describe("README: bake in CI", () => {
  it("has a GitHub workflow whose run: scripts use no Actions expression and whose only skipped step installs bake", () => {
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const scripts = steps.filter((entry) => entry.run !== undefined);
    expect(scripts.length).toBeGreaterThanOrEqual(4);
    for (const script of scripts) expect(script.run).not.toContain("${{");
    expect(
      scripts.filter((entry) => SKIPPED_RUN_STEPS.includes(entry.name ?? "")).map((entry) => entry.run),
    ).toEqual(["npm install --global @bakehq/bake"]);
  });

  it("builds on push and promotes on a tag when its run: scripts are run as Actions would", async () => {
    // A push to main: a fresh clone of the remote.
    const push = join(root, "runner-1/work");
    await git(["clone", "-q", join(root, "remote.git"), push], root);
    const pushRuns = await runWorkflow({ workspace: push, ref: { type: "branch", name: "main" } });
    expectAllPassed(pushRuns);
    expect(pushRuns.map((run) => run.name)).toEqual(["Allow rootless sandboxes", "Validate", "Build"]);

    const built = step(pushRuns, "Build");
    expect(built.summary).toMatch(
      /### :white_check_mark: bake build registered example-base 1\.0\.0 build 1\n/,
    );
    expect(built.summary).toMatch(
      /### :white_check_mark: bake build registered example-app 1\.0\.0 build 1\n/,
    );
    expect(built.summary).toMatch(
      /1\. example-app 1\.0\.0 build 1: `sha256:[0-9a-f]{64}`\n2\. example-base 1\.0\.0 build 1: /,
    );
    expect(await junitCases(join(push, "reports/app.xml"))).toEqual([
      "version matches",
      "service answers",
      "install ran",
    ]);
    expect(await junitCases(join(push, "reports/base.xml"))).toEqual(["release file", "health helper runs"]);

    // The tag: another runner, a fresh clone at the tag, and the `.bake` store restored by actions/cache.
    const tag = join(root, "runner-2/work");
    await git(["clone", "-q", "--branch", "v1.0.0", join(root, "remote.git"), tag], root);
    await cp(join(push, ".bake"), join(tag, ".bake"), { recursive: true });
    const tagRuns = await runWorkflow({ workspace: tag, ref: { type: "tag", name: "v1.0.0" } });
    expectAllPassed(tagRuns);
    expect(tagRuns.map((run) => run.name)).toEqual([
      "Allow rootless sandboxes",
      "Validate",
      "Build",
      "Promote",
    ]);
    expect(step(tagRuns, "Build").summary).toMatch(
      /bake build up to date: example-app 1\.0\.0 build 1 \(nothing rebuilt\)/,
    );
    expect(step(tagRuns, "Promote").stdout).toContain("example-base");

    // The shared lineage has both images once, and stable points at the app built on main.
    const show = await runBake(["show", "example-app@stable", "--json"], {
      cwd: tag,
      env: { BAKE_MANIFEST: manifestLocation },
    });
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as {
      record: { lineage: string; build: number; ci?: { runId?: string } };
    };
    expect(shown.record).toMatchObject({ lineage: "example-app", build: 1, ci: { runId: "run-main" } });
    const history = await runBake(["history", "--json"], {
      cwd: tag,
      env: { BAKE_MANIFEST: manifestLocation },
    });
    expect(history.code).toBe(0);
    const lineages = (
      JSON.parse(history.stdout) as { lineages: { lineage: string; entries: { kind: string }[] }[] }
    ).lineages;
    expect(
      lineages.map((entry) => [
        entry.lineage,
        entry.entries.filter((record) => record.kind === "image").length,
      ]),
    ).toEqual([
      ["example-base", 1],
      ["example-app", 1],
    ]);
    expect(await readdir(join(tag, "reports"))).toEqual(["app.xml", "base.xml"]);
  });
});

interface GitlabJob {
  variables?: Record<string, string>;
  before_script?: string[];
  script: string[];
  artifacts?: { when?: string; reports?: { junit?: string } };
}

// Runs the GitLab job's script lines verbatim (all but the install line), as a runner would for a branch or a tag.
async function runGitlabJob(options: {
  job: GitlabJob;
  workspace: string;
  manifest: string;
  home: string;
  tag?: string;
}): Promise<{ line: string; code: number; stdout: string; stderr: string }[]> {
  const lines = [...(options.job.before_script ?? []), ...options.job.script].filter(
    (line) => line !== "npm install --global @bakehq/bake",
  );
  const results = [];
  for (const line of lines) {
    const result = await execa("bash", ["-eo", "pipefail", "-c", line], {
      cwd: options.workspace,
      env: {
        PATH: `${binDir}:${process.env.PATH}`,
        HOME: options.home,
        CI: "true",
        GITLAB_CI: "true",
        CI_SERVER_HOST: "gitlab.example.com",
        CI_PROJECT_PATH: "team/images",
        CI_PIPELINE_ID: options.tag ? "pipeline-tag" : "pipeline-main",
        ...(options.tag ? { CI_COMMIT_TAG: options.tag } : { CI_COMMIT_BRANCH: "main" }),
        BAKE_LINEAGE_TOKEN: "glpat-not-a-real-token",
        BAKE_MANIFEST: options.manifest,
      },
      extendEnv: false,
      reject: false,
    });
    results.push({ line, code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr });
  }
  return results;
}

describe("README: bake in GitLab CI", () => {
  it("builds on the default branch, reports JUnit, and promotes on a tag when its script lines are run verbatim", async () => {
    const gitlab = (await readmeBlocks()).find(
      (block) => /^\s+script:/m.test(block) && !/^jobs:/m.test(block),
    );
    expect(gitlab).toBeDefined();
    const job = Object.values(parse(gitlab as string) as Record<string, GitlabJob>)[0] as GitlabJob;
    expect(job.variables?.BAKE_MANIFEST).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitLab variables, not a template
      "git+https://${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git#bake/lineage",
    );
    expect(job.artifacts).toMatchObject({ when: "always", reports: { junit: "reports/*.xml" } });
    // A lineage of its own, so this run does not see the GitHub run's records.
    const manifest = join(root, "gitlab-shared/bake.lineage.jsonl");
    await mkdir(join(root, "gitlab-shared"));
    const home = join(root, "gitlab-home");
    await mkdir(home);

    const branch = join(root, "gitlab-runner-1/work");
    await git(["clone", "-q", join(root, "remote.git"), branch], root);
    const branchRun = await runGitlabJob({ job, workspace: branch, manifest, home });
    for (const result of branchRun)
      expect({ line: result.line, code: result.code, stderr: result.code ? result.stderr : "" }).toEqual({
        line: result.line,
        code: 0,
        stderr: "",
      });
    // Nothing is promoted from a branch.
    const before = await runBake(["show", "example-app@stable"], {
      cwd: branch,
      env: { BAKE_MANIFEST: manifest },
    });
    expect(before.code).toBe(2);
    expect(await junitCases(join(branch, "reports/app.xml"))).toEqual([
      "version matches",
      "service answers",
      "install ran",
    ]);
    // The token reaches git through the helper, which reads it from the environment when git asks.
    const helper = await execa("git", ["credential", "fill"], {
      input: "protocol=https\nhost=gitlab.example.com\n\n",
      env: { HOME: home, BAKE_LINEAGE_TOKEN: "glpat-from-env", GIT_TERMINAL_PROMPT: "0" },
      extendEnv: false,
    });
    expect(helper.stdout).toContain("username=oauth2\npassword=glpat-from-env");
    expect(await readFile(join(home, ".gitconfig"), "utf8")).not.toContain("glpat");

    const tagged = join(root, "gitlab-runner-2/work");
    await git(["clone", "-q", "--branch", "v1.0.0", join(root, "remote.git"), tagged], root);
    await cp(join(branch, ".bake"), join(tagged, ".bake"), { recursive: true });
    const tagRun = await runGitlabJob({ job, workspace: tagged, manifest, home, tag: "v1.0.0" });
    for (const result of tagRun)
      expect({ line: result.line, code: result.code, stderr: result.code ? result.stderr : "" }).toEqual({
        line: result.line,
        code: 0,
        stderr: "",
      });
    const show = await runBake(["show", "example-app@stable", "--json"], {
      cwd: tagged,
      env: { BAKE_MANIFEST: manifest },
    });
    expect(show.code).toBe(0);
    expect((JSON.parse(show.stdout) as { record: unknown }).record).toMatchObject({
      lineage: "example-app",
      build: 1,
      ci: { provider: "gitlab-ci", runId: "pipeline-main" },
    });
  });
});
