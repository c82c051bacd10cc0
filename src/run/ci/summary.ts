import type { ImageRecord } from "../../manifest/types.js";
import { formatDuration } from "../reporters/format.js";
import { code, escapeMarkdown, preBlock } from "./markdown.js";
import type { BuildReport } from "./report.js";

/**
 * The build as a GitHub Actions job summary (Markdown): the record, its ancestry down to the external base,
 * which layers were baked or cached, the verify results, and on failure what failed. Every value from a recipe,
 * a manifest or a driver is escaped. The report must already be redacted.
 */
export function renderJobSummary(report: BuildReport): string {
  const sections = [heading(report)];
  if (report.failure) sections.push(failureSection(report));
  if (report.record) sections.push(recordSection(report.record, report));
  if (report.ancestry && report.ancestry.chain.length > 0) sections.push(ancestrySection(report));
  if (report.outcome.layers.length > 0) sections.push(layersSection(report));
  const checks = checksSection(report);
  if (checks) sections.push(checks);
  return `${sections.join("\n\n")}\n\n`;
}

function heading(report: BuildReport): string {
  const what = [report.record?.lineage ?? report.lineage, report.record?.version ?? report.version]
    .filter((part): part is string => part !== undefined)
    .join(" ");
  const subject = what === "" ? escapeMarkdown(report.recipe) : escapeMarkdown(what);
  if (report.failure) {
    const state = report.failure.exitCode === 130 ? "interrupted" : "failed";
    return `### :x: bake build ${state}: ${subject}`;
  }
  const build = report.record?.build === undefined ? "" : ` build ${report.record.build}`;
  return report.outcome.upToDate
    ? `### :white_check_mark: bake build up to date: ${subject}${build} (nothing rebuilt)`
    : `### :white_check_mark: bake build registered ${subject}${build}`;
}

function failureSection(report: BuildReport): string {
  const failure = report.failure as NonNullable<BuildReport["failure"]>;
  const lines = [`**What failed** (${escapeMarkdown(failure.code)}, exit ${failure.exitCode})`, ""];
  const text = [
    failure.message,
    ...(failure.diagnostics ?? []).map(
      (diag) =>
        `${diag.location ? `${diag.location.file}:${diag.location.line}:${diag.location.col}: ` : ""}error: ${diag.message}${diag.hint ? `\n  hint: ${diag.hint}` : ""}`,
    ),
    failure.detail ?? "",
    failure.hint ? `hint: ${failure.hint}` : "",
  ].filter((line) => line !== "");
  lines.push(preBlock(text.join("\n")));
  for (const check of report.outcome.checks.filter((entry) => !entry.ok && entry.output !== "")) {
    lines.push("", `Last output of check ${escapeMarkdown(check.name)}:`, "", preBlock(check.output));
  }
  const failedLayer = report.outcome.layers.find((layer) => layer.ok === false);
  if (failedLayer) {
    const step = failedLayer.failedStep;
    lines.push(
      "",
      `Failed layer: ${escapeMarkdown(failedLayer.name)}${step ? `, step ${step.index + 1} (${escapeMarkdown(step.title)})${step.exitCode === undefined ? "" : `, exit ${step.exitCode}`}` : ""}`,
    );
  }
  return lines.join("\n");
}

function recordSection(record: ImageRecord, report: BuildReport): string {
  const rows: [string, string][] = [
    ["id", code(record.id)],
    ["lineage", escapeMarkdown(record.lineage)],
    ["version", escapeMarkdown(record.version)],
    ["build", String(record.build ?? "?")],
    ["driver", escapeMarkdown(record.driver)],
    ["artifact", code(record.artifact)],
    ["created", escapeMarkdown(record.createdAt)],
  ];
  // The run that wrote this summary; an up-to-date image was made by an earlier one.
  if (report.outcome.runId) rows.push(["this run", code(report.outcome.runId)]);
  const labels = Object.entries(record.labels ?? {});
  if (labels.length > 0) {
    rows.push([
      "labels",
      labels.map(([key, value]) => `${escapeMarkdown(key)}=${escapeMarkdown(value)}`).join(", "),
    ]);
  }
  return [
    "**Record**",
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([key, value]) => `| ${key} | ${value} |`),
  ].join("\n");
}

function ancestrySection(report: BuildReport): string {
  const ancestry = report.ancestry as NonNullable<BuildReport["ancestry"]>;
  const items = ancestry.chain.map(
    (record, index) =>
      `${index + 1}. ${escapeMarkdown(record.lineage)} ${escapeMarkdown(record.version)} build ${record.build ?? "?"}: ${code(record.id)}`,
  );
  if (ancestry.base) {
    const { ref, id } = ancestry.base;
    items.push(
      `${items.length + 1}. external base ${code(ref)}${id === ref ? "" : ` resolved to ${code(id)}`}`,
    );
  }
  return ["**Ancestry** (newest first, down to the external base)", "", ...items].join("\n");
}

function layersSection(report: BuildReport): string {
  const rows = report.outcome.layers.map((layer) => {
    const state = layer.cached
      ? "cached"
      : layer.ok === true
        ? "baked"
        : layer.ok === false
          ? ":x: failed"
          : "not built";
    const took = layer.cached || layer.durationMs === undefined ? "" : formatDuration(layer.durationMs);
    return `| ${escapeMarkdown(layer.name)} | ${state} | ${took} | ${layer.artifact ? code(layer.artifact) : ""} |`;
  });
  return [
    "**Layers**",
    "",
    "| layer | result | time | artifact |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

function checksSection(report: BuildReport): string | undefined {
  const { outcome, record } = report;
  if (outcome.upToDate && record?.verify) {
    if (record.verify.checks.length === 0) return undefined;
    const rows = record.verify.checks.map(
      (check) =>
        `| ${escapeMarkdown(check.name)} | ${check.ok ? ":white_check_mark: pass" : ":x: fail"} | ${check.attempts} | ${formatDuration(check.durationMs)} | |`,
    );
    return [
      `**Verify** (passed when build ${record.build ?? "?"} was registered)`,
      "",
      "| check | result | attempts | time | message |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n");
  }
  const names = outcome.verifyChecks ?? report.plannedChecks;
  if (names.length === 0) return undefined;
  const rows = names.map((name, index) => {
    const check = outcome.checks.find((entry) => entry.index === index);
    if (!check) return `| ${escapeMarkdown(name)} | not run | | | |`;
    const message = check.ok ? "" : escapeMarkdown(check.message ?? "failed");
    return `| ${escapeMarkdown(check.name)} | ${check.ok ? ":white_check_mark: pass" : ":x: fail"} | ${check.attempts} | ${formatDuration(check.durationMs)} | ${message} |`;
  });
  return [
    "**Verify**",
    "",
    "| check | result | attempts | time | message |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
