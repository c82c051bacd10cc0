import { hostname } from "node:os";
import type { BuildReport } from "./report.js";
import { xmlAttribute, xmlText } from "./xml.js";

/** One `<testcase>`: a verify check, or the build itself when it failed before verify. */
interface TestCase {
  name: string;
  classname: string;
  seconds: number;
  result:
    | { kind: "passed" }
    | { kind: "failure" | "error"; type: string; message: string; text: string }
    | { kind: "skipped"; message: string };
  /** Notes shown beside the case, such as every failed attempt. */
  out?: string;
}

/**
 * The build as a JUnit XML report, the format GitLab, Jenkins, Buildkite and GitHub test reporters read:
 * one `<testsuite>` for the image, one `<testcase>` per verify check (with its attempts and time), a `<failure>`
 * for each failed check. A build that failed before verify gets an `<error>` case for the build and its checks
 * are `<skipped>`; an up-to-date build lists the checks its existing image passed when it was registered.
 * The report must already be redacted.
 */
export function renderJunit(report: BuildReport): string {
  const lineage = report.record?.lineage ?? report.lineage ?? report.outcome.lineage;
  const version = report.record?.version ?? report.version ?? report.outcome.version;
  const suiteName = lineage ? `${lineage}${version ? ` ${version}` : ""}` : report.recipe;
  const classname = `bake.${lineage ?? "recipe"}`;
  const cases = testCases(report, classname);
  const count = (kind: string) => cases.filter((entry) => entry.result.kind === kind).length;
  const seconds = (report.outcome.durationMs ?? 0) / 1000;
  const counts = `tests="${cases.length}" failures="${count("failure")}" errors="${count("error")}" skipped="${count("skipped")}"`;
  const properties = suiteProperties(report)
    .map(([name, value]) => `      <property name="${xmlAttribute(name)}" value="${xmlAttribute(value)}"/>\n`)
    .join("");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>\n`,
    `<testsuites name="bake build" ${counts} time="${time(seconds)}">\n`,
    `  <testsuite name="${xmlAttribute(suiteName)}" ${counts} time="${time(seconds)}" timestamp="${report.finishedAt.toISOString().slice(0, 19)}" hostname="${xmlAttribute(hostname())}">\n`,
    properties ? `    <properties>\n${properties}    </properties>\n` : "",
    ...cases.map(renderCase),
    "  </testsuite>\n",
    "</testsuites>\n",
  ].join("");
}

function testCases(report: BuildReport, classname: string): TestCase[] {
  const { outcome, failure } = report;
  const cases: TestCase[] = [];
  // The build itself is a case only when it failed outside verify: a failed check speaks for itself.
  if (failure && !(failure.code === "verify-failed" && outcome.checks.some((check) => !check.ok))) {
    cases.push({
      name: "build",
      classname,
      seconds: (outcome.durationMs ?? 0) / 1000,
      result: {
        kind: failure.exitCode === 1 ? "failure" : "error",
        type: failure.code,
        message: failure.message,
        text: [
          failure.message,
          ...(failure.diagnostics ?? []).map(
            (diag) =>
              `${diag.location ? `${diag.location.file}:${diag.location.line}:${diag.location.col}: ` : ""}${diag.message}`,
          ),
          failure.detail ?? "",
          failure.hint ? `hint: ${failure.hint}` : "",
        ]
          .filter((line) => line !== "")
          .join("\n"),
      },
    });
  }
  if (outcome.upToDate && report.record?.verify) {
    for (const check of report.record.verify.checks) {
      cases.push({
        name: check.name,
        classname,
        seconds: check.durationMs / 1000,
        result: { kind: "passed" },
        out: `up to date: passed when ${report.record.lineage} build ${report.record.build ?? "?"} was registered`,
      });
    }
    return cases;
  }
  const names = outcome.verifyChecks ?? report.plannedChecks;
  names.forEach((name, index) => {
    const check = outcome.checks.find((entry) => entry.index === index);
    if (!check) {
      cases.push({
        name,
        classname,
        seconds: 0,
        result: { kind: "skipped", message: "not run: the build stopped before this check" },
      });
      return;
    }
    const attempts = check.failedAttempts.map((message, at) => `attempt ${at + 1}: ${message}`).join("\n");
    cases.push({
      name: check.name,
      classname,
      seconds: check.durationMs / 1000,
      result: check.ok
        ? { kind: "passed" }
        : {
            kind: "failure",
            type: "check-failed",
            message: check.message ?? "check failed",
            text: [
              `${check.message ?? "check failed"} (after ${check.attempts} attempt(s))`,
              attempts,
              check.output === "" ? "" : `last output:\n${check.output}`,
            ]
              .filter((part) => part !== "")
              .join("\n"),
          },
      ...(check.ok && attempts ? { out: `passed after ${check.attempts} attempts\n${attempts}` } : {}),
    });
  });
  return cases;
}

function renderCase(entry: TestCase): string {
  const open = `    <testcase name="${xmlAttribute(entry.name)}" classname="${xmlAttribute(entry.classname)}" time="${time(entry.seconds)}"`;
  const inner: string[] = [];
  const result = entry.result;
  if (result.kind === "skipped") inner.push(`      <skipped message="${xmlAttribute(result.message)}"/>\n`);
  if (result.kind === "failure" || result.kind === "error") {
    inner.push(
      `      <${result.kind} message="${xmlAttribute(result.message)}" type="${xmlAttribute(result.type)}">${xmlText(result.text)}</${result.kind}>\n`,
    );
  }
  if (entry.out) inner.push(`      <system-out>${xmlText(entry.out)}</system-out>\n`);
  return inner.length === 0 ? `${open}/>\n` : `${open}>\n${inner.join("")}    </testcase>\n`;
}

// What identifies the image and the run, for reporters that show suite properties.
function suiteProperties(report: BuildReport): [string, string][] {
  const props: [string, string][] = [["bake.recipe", report.recipe]];
  const { record, outcome } = report;
  if (record) {
    props.push(["bake.id", record.id], ["bake.build", String(record.build ?? "")]);
    props.push(["bake.artifact", record.artifact]);
  }
  if (outcome.driver) props.push(["bake.driver", outcome.driver]);
  if (outcome.runId) props.push(["bake.run", outcome.runId]);
  if (outcome.upToDate) props.push(["bake.upToDate", "true"]);
  return props;
}

// JUnit times are seconds with a decimal point.
function time(seconds: number): string {
  return Math.max(0, seconds).toFixed(3);
}
