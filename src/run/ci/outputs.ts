import { randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";
import type { Reporter } from "../../drivers/events.js";
import { createRedactor } from "../../drivers/redact.js";
import { BakeError, isBakeError } from "../../errors.js";
import type { Ancestry } from "../../manifest/api.js";
import { checkOutputFile, isManifestFile } from "../../manifest/output-guard.js";
import type { SecretValues } from "../../plan/secrets.js";
import type { BuildPlan } from "../../plan/types.js";
import { RecipeInvalidError } from "../../recipe/invalid-error.js";
import { appendFile, rename, rm, writeFile } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import type { ExecuteResult } from "../execute.js";
import { renderJunit } from "./junit.js";
import { OutcomeRecorder } from "./outcome.js";
import { type BuildFailure, type BuildReport, redactReport } from "./report.js";
import { renderJobSummary } from "./summary.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What `bake build` tells the CI outputs as it goes; every method does nothing when no output is wanted. */
export interface CiOutputs {
  /** Receives the build's events (add it beside the renderer with `fanOut`). */
  readonly reporter: Reporter;
  /** The recipe compiled: its lineage, version and checks, and the secrets to hide. */
  planned(plan: BuildPlan, secrets: SecretValues): void;
  /** The build registered an image (or found it up to date): write the summary and the report. */
  succeeded(result: ExecuteResult, ancestry: (id: string) => Ancestry): Promise<void>;
  /** The build ended with this error: write what failed. Never throws, so the original error is what is shown. */
  failed(error: unknown): Promise<void>;
}

/**
 * The CI-native outputs of one `bake build`: a Markdown job summary appended to `$GITHUB_STEP_SUMMARY` when it
 * is set, and a JUnit XML report at `--junit FILE`. The report's directory is created up front, so a path that
 * cannot be written fails before anything is built.
 *
 * @param options.warn - where a summary that cannot be appended is reported (it never fails the build).
 */
export async function createCiOutputs(options: {
  recipe: string;
  junit?: string;
  env: Env;
  cwd: string;
  warn: (message: string) => void;
}): Promise<CiOutputs> {
  const summaryFile = nonEmpty(options.env.GITHUB_STEP_SUMMARY);
  const junitFile = options.junit === undefined ? undefined : resolve(options.cwd, options.junit);
  if (junitFile) {
    checkOutputFile(junitFile, options.junit as string, "--junit");
    await prepareDirectory(junitFile, options.junit as string);
  }
  const recorder = new OutcomeRecorder();
  let plan: BuildPlan | undefined;
  let secrets: SecretValues = {};

  const write = async (report: BuildReport): Promise<void> => {
    const safe = redactReport(report, createRedactor(secrets));
    if (summaryFile && isManifestFile(resolve(options.cwd, summaryFile))) {
      options.warn(
        `GITHUB_STEP_SUMMARY names the lineage manifest ${summaryFile}: the job summary was not appended to it`,
      );
    } else if (summaryFile) {
      try {
        // Appended, never truncated: earlier steps of the job write to the same file.
        await appendFile(resolve(options.cwd, summaryFile), renderJobSummary(safe), { encoding: "utf8" });
      } catch (error) {
        options.warn(`could not append the job summary to ${summaryFile}: ${(error as Error).message}`);
      }
    }
    if (junitFile) await writeReport(junitFile, renderJunit(safe));
  };
  const base = (): Omit<BuildReport, "outcome" | "finishedAt"> => ({
    recipe: options.recipe,
    ...(plan ? { lineage: plan.lineage, version: plan.version } : {}),
    plannedChecks: plan ? plan.verify.map((check) => check.name) : [],
  });

  return {
    reporter: recorder,
    planned(compiled, values) {
      plan = compiled;
      secrets = values;
    },
    async succeeded(result, ancestry) {
      if (!summaryFile && !junitFile) return;
      await write({
        ...base(),
        outcome: recorder.outcome(),
        record: result.record,
        ancestry: ancestry(result.record.id),
        finishedAt: new Date(),
      });
    },
    async failed(error) {
      if (!summaryFile && !junitFile) return;
      try {
        await write({
          ...base(),
          outcome: recorder.outcome(),
          failure: failureOf(error),
          finishedAt: new Date(),
        });
      } catch (writeError) {
        options.warn(`could not write the CI report: ${(writeError as Error).message}`);
      }
    },
  };
}

function failureOf(error: unknown): BuildFailure {
  if (!isBakeError(error)) {
    return { code: "internal", message: error instanceof Error ? error.message : String(error), exitCode: 1 };
  }
  return {
    code: error.code,
    message: error.message,
    exitCode: error.exitCode,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.detail && !(error instanceof RecipeInvalidError) ? { detail: error.detail } : {}),
    ...(error instanceof RecipeInvalidError ? { diagnostics: error.diagnostics } : {}),
  };
}

async function prepareDirectory(file: string, given: string): Promise<void> {
  try {
    await makeDirectoriesAsync(dirname(file));
  } catch (error) {
    throw new BakeError({
      code: "junit-unwritable",
      message: `cannot create the directory of the JUnit report ${given}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      hint: "pass --junit a path in a writable directory, such as reports/bake.xml",
    });
  }
}

// A temp file renamed into place: a reader (or a killed build) never sees half a report.
async function writeReport(file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text, { encoding: "utf8" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new BakeError({
      code: "junit-unwritable",
      message: `cannot write the JUnit report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      hint: "pass --junit a path in a writable directory",
    });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
