import { BakeError } from "../../errors.js";
import { describeLive, type LiveIn, liveByRecord } from "../../fleet/live.js";
import { describeRecord } from "../../manifest/describe.js";
import { shortId } from "../../manifest/hash.js";
import type { HistoryEntry, LineageHistory } from "../../manifest/types.js";
import { nearest } from "../../util/nearest.js";
import { printable } from "../../util/printable.js";
import type { Style } from "../../util/style.js";
import { drawHistory, type PictureFormat } from "../history-picture.js";
import type { CommandRun, OptionValues } from "../io.js";
import {
  age,
  integrityJson,
  openForCommand,
  safe,
  statusText,
  stdoutStyle,
  warnAboutManifest,
  writeJson,
} from "../manifest-support.js";

/** `bake history [LINEAGE] [--all] [--json]`: the lineage tree, newest images first. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const manifest = await openForCommand(values, io);
  const lineage = positionals[0];
  const lineages = manifest.history({
    ...(lineage !== undefined ? { lineage } : {}),
    includeLayers: values.all === true,
  });
  const integrity = warnAboutManifest(manifest, io);
  if (lineage !== undefined && lineages.length === 0 && manifest.header() !== undefined) {
    const guess = nearest(
      lineage,
      manifest.history().map((entry) => entry.lineage),
    );
    throw new BakeError({
      code: "ref-not-found",
      message: `there is no lineage "${lineage}" in ${manifest.path}`,
      hint: guess ? `did you mean "${printable(guess)}"?` : "run `bake history` to see every lineage",
    });
  }
  if (values.format !== undefined) {
    io.stdout.write(drawHistory(lineages, pictureFormat(values.format)));
    return 0;
  }
  // Which images run in which managed groups, from rollout events and observations.
  const live = liveByRecord(manifest);
  if (values.json === true) {
    // Pushes ride along on the entries they concern (only where there are some), so older readers see the same shape.
    const withPushes = lineages.map((lineage) => ({
      ...lineage,
      entries: lineage.entries.map((entry) => {
        const published = manifest.publications(entry.id);
        return published.length > 0 ? { ...entry, published } : entry;
      }),
    }));
    writeJson(io, {
      manifest: manifest.path,
      ...integrityJson(integrity),
      lineages: withPushes,
      live: Object.fromEntries(live),
    });
    return 0;
  }
  if (manifest.header() === undefined) {
    io.stdout.write(`no manifest at ${manifest.path} yet; \`bake build\` creates it with its first image\n`);
    return 0;
  }
  if (lineages.length === 0) {
    io.stdout.write(`${manifest.path} has no images yet\n`);
    return 0;
  }
  // Revocations inherited from an ancestor outside the listing (a filtered history) still name it.
  const nameOf = (id: string) => {
    const record = manifest.get(id);
    return record ? describeRecord(record) : shortId(id);
  };
  // Everything shown comes from a shared file: escaped, so a hostile reason or label cannot drive the terminal.
  const pushes = (id: string) => safe(manifest.publications(id).map((pushed) => pushed.destination));
  io.stdout.write(
    renderTree(safe(lineages), {
      style: stdoutStyle(io, values),
      now: new Date(),
      nameOf,
      pushes,
      live: new Map([...live].map(([id, groups]) => [id, safe(groups)])),
    }),
  );
  return 0;
};

// Lineages nest under the lineage their newest image was built on; the others are roots.
function renderTree(
  lineages: LineageHistory[],
  options: {
    style: Style;
    now: Date;
    nameOf: (id: string) => string;
    /** Where each record was pushed (its publish events), oldest first. */
    pushes: (id: string) => string[];
    /** The managed groups each record is live in. */
    live: Map<string, LiveIn[]>;
  },
): string {
  const { style, now } = options;
  const byName = new Map(lineages.map((lineage) => [lineage.lineage, lineage]));
  const names = new Map(
    lineages.flatMap((lineage) =>
      lineage.entries.map((entry) => [entry.id, `${lineage.lineage}#${entry.build}`] as const),
    ),
  );
  const nameOf = (id: string) => names.get(id) ?? options.nameOf(id);
  const children = new Map<string, LineageHistory[]>();
  const roots: LineageHistory[] = [];
  for (const lineage of lineages) {
    const parent = treeParent(lineage, byName);
    if (parent) children.set(parent, [...(children.get(parent) ?? []), lineage]);
    else roots.push(lineage);
  }
  const out: string[] = [];
  const visit = (lineage: LineageHistory, indent: string, seen: Set<string>) => {
    if (seen.has(lineage.lineage)) return;
    seen.add(lineage.lineage);
    const from = [...lineage.parents, ...lineage.bases].join(", ");
    out.push(`${indent}${style.bold(lineage.lineage)}${from ? style.dim(`  <- ${from}`) : ""}`);
    for (const entry of lineage.entries) {
      const pushed = [...new Set(options.pushes(entry.id))];
      const pushedNote = pushed.length > 0 ? style.dim(`  pushed: ${pushed.join(", ")}`) : "";
      const groups = options.live.get(entry.id) ?? [];
      const live = groups.length > 0 ? `  ${style.cyan(`live: ${groups.map(describeLive).join(", ")}`)}` : "";
      out.push(`${indent}  ${entryLine(entry, style, now, nameOf)}${live}${pushedNote}`);
    }
    for (const { channel, target } of lineage.danglingChannels ?? []) {
      out.push(
        `${indent}  ${style.red(`@${channel} -> ${shortId(target)}, which is missing from the manifest (its line was removed)`)}`,
      );
    }
    for (const child of children.get(lineage.lineage) ?? []) visit(child, `${indent}  `, seen);
  };
  const seen = new Set<string>();
  for (const root of roots) visit(root, "", seen);
  // A cycle of lineages (each built on the other) has no root; show it anyway.
  for (const lineage of lineages) visit(lineage, "", seen);
  return `${out.join("\n")}\n`;
}

function treeParent(lineage: LineageHistory, byName: Map<string, LineageHistory>): string | undefined {
  const newest = lineage.entries.find((entry) => entry.kind === "image");
  if (!newest || !("record" in newest.parent)) return undefined;
  const parentId = newest.parent.record;
  for (const candidate of lineage.parents) {
    if (byName.get(candidate)?.entries.some((entry) => entry.id === parentId)) return candidate;
  }
  return lineage.parents[0];
}

function entryLine(entry: HistoryEntry, style: Style, now: Date, nameOf: (id: string) => string): string {
  const via = entry.inheritedFrom ? ` (with ${nameOf(entry.inheritedFrom)})` : "";
  const status = statusText({ status: entry.status, reason: `${entry.reason ?? ""}${via}` }, style);
  const channels = entry.channels.length > 0 ? style.green(`[${entry.channels.join(", ")}]`) : "";
  if (entry.kind === "layer") {
    return (
      style.dim(`  layer ${entry.layer ?? "?"}  ${shortId(entry.id)}  ${age(entry.createdAt, now)}`) +
      (status ? `  ${status}` : "")
    );
  }
  const parts = [
    `#${entry.build ?? "?"}`.padEnd(5),
    entry.version.padEnd(10),
    style.cyan(shortId(entry.id)),
    age(entry.createdAt, now).padEnd(9),
    channels,
    status,
  ];
  return parts
    .filter((part) => part !== "")
    .join("  ")
    .trimEnd();
}

function pictureFormat(value: OptionValues[string]): PictureFormat {
  if (value === "mermaid" || value === "dot") return value;
  throw new BakeError({
    code: "usage",
    message: `history: --format ${String(value)} is not a picture bake draws`,
    hint: "use --format mermaid (GitHub and GitLab render it) or --format dot (Graphviz)",
  });
}
