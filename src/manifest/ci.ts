import type { CiInfo } from "./types.js";

type Env = Readonly<Record<string, string | undefined>>;

// Each provider: the variable that says "we run here", and where its run id and commit live.
const PROVIDERS: { provider: string; flag: string; runId: string[]; commit: string[] }[] = [
  { provider: "github-actions", flag: "GITHUB_ACTIONS", runId: ["GITHUB_RUN_ID"], commit: ["GITHUB_SHA"] },
  { provider: "gitlab-ci", flag: "GITLAB_CI", runId: ["CI_PIPELINE_ID"], commit: ["CI_COMMIT_SHA"] },
  { provider: "buildkite", flag: "BUILDKITE", runId: ["BUILDKITE_BUILD_ID"], commit: ["BUILDKITE_COMMIT"] },
  {
    provider: "circleci",
    flag: "CIRCLECI",
    runId: ["CIRCLE_WORKFLOW_ID", "CIRCLE_BUILD_NUM"],
    commit: ["CIRCLE_SHA1"],
  },
];

/** The CI run this process belongs to, or undefined outside CI. */
export function ciInfo(env: Env): CiInfo | undefined {
  for (const spec of PROVIDERS) {
    if (!truthy(env[spec.flag])) continue;
    return withOptional(spec.provider, first(env, spec.runId), first(env, spec.commit));
  }
  if (truthy(env.CI)) return withOptional("ci", first(env, ["BUILD_ID", "CI_RUN_ID"]), env.GIT_COMMIT);
  return undefined;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

function first(env: Env, names: string[]): string | undefined {
  for (const name of names) if (env[name]) return env[name];
  return undefined;
}

// Leaves absent fields out, so record ids do not depend on `undefined` handling.
function withOptional(provider: string, runId: string | undefined, commit: string | undefined): CiInfo {
  return { provider, ...(runId ? { runId } : {}), ...(commit ? { commit } : {}) };
}
