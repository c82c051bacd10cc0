import type { Manifest } from "../../manifest/manifest.js";
import { code, escapeMarkdown } from "../../run/ci/markdown.js";
import type { TreeRecipeResult } from "../../run/tree/execute-tree.js";
import { appendFile } from "../../util/fs-async.js";
import { drawHistory } from "../history-picture.js";

const STATUS: Record<TreeRecipeResult["status"], string> = {
  built: "built",
  "up-to-date": "up to date",
  failed: "**failed**",
  skipped: "skipped",
  "not-selected": "current (not rebuilt)",
};

/**
 * Appends a tree build's outcome to the GitHub job summary: a table of the recipes and a Mermaid picture of the
 * lineages the tree holds, which GitHub renders. Appends, never truncates. Reasons are redacted by the caller.
 */
export async function appendTreeSummary(options: {
  file: string;
  cascadeId: string;
  results: readonly TreeRecipeResult[];
  manifest: Manifest;
}): Promise<void> {
  const lineages = new Set(options.results.map((result) => result.lineage));
  const history = options.manifest.history().filter((entry) => lineages.has(entry.lineage));
  const rows = options.results.map((result) => {
    const record = result.result?.record;
    const what = record
      ? `${escapeMarkdown(record.version)} build ${record.build ?? "?"} ${code(record.id.slice(0, 19))}`
      : escapeMarkdown(result.reason ?? "");
    return `| ${escapeMarkdown(result.lineage)} | ${STATUS[result.status]} | ${what} |`;
  });
  const text = [
    `### bake tree ${code(options.cascadeId)}`,
    "",
    "| lineage | result | image or reason |",
    "| --- | --- | --- |",
    ...rows,
    "",
    "```mermaid",
    drawHistory(history, "mermaid").trimEnd(),
    "```",
    "",
  ].join("\n");
  await appendFile(options.file, text);
}
