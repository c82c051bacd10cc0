import type { Redactor } from "../../drivers/redact.js";
import type { BakeErrorCode } from "../../errors.js";
import type { Ancestry } from "../../manifest/api.js";
import type { ImageRecord } from "../../manifest/types.js";
import type { Diagnostic } from "../../recipe/diagnostics.js";
import type { BuildOutcome } from "./outcome.js";

/** Why a build ended without an image: the error that ended it, as the user saw it. */
export interface BuildFailure {
  code: BakeErrorCode;
  message: string;
  hint?: string;
  detail?: string;
  /** 1 a step or check failed, 2 bad input, 130 interrupted. */
  exitCode: number;
  /** The recipe's errors, when it did not validate. */
  diagnostics?: readonly Diagnostic[];
}

/** Everything CI outputs say about one `bake build`: what it was asked, what happened, and what it made. */
export interface BuildReport {
  /** The recipe file as given on the command line. */
  recipe: string;
  /** From the plan, when the recipe compiled. */
  lineage?: string;
  version?: string;
  /** The names of the recipe's verify checks, in order ([] when the recipe did not compile). */
  plannedChecks: string[];
  outcome: BuildOutcome;
  /** The registered image, or the identical one found when up to date. */
  record?: ImageRecord;
  /** The record's chain down to its external base. */
  ancestry?: Ancestry;
  failure?: BuildFailure;
  /** When the build ended. */
  finishedAt: Date;
}

/**
 * The report with every string passed through the redactor, so no secret value reaches a summary or a report
 * file. Done on the values, before any escaping, so an escaped form of a secret cannot slip past it.
 */
export function redactReport(report: BuildReport, redact: Redactor): BuildReport {
  return { ...(redactValue(report, redact) as BuildReport), finishedAt: report.finishedAt };
}

function redactValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redact)]));
  }
  return value;
}
