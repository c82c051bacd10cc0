import type { HistoryEntry, LineageHistory } from "../manifest/types.js";
import { printable } from "../util/printable.js";

/** A picture format `bake history --format` draws. */
export type PictureFormat = "mermaid" | "dot";

interface PictureNode {
  key: string;
  label: string[];
  kind: "image" | "base";
  revoked: boolean;
  deprecated: boolean;
  outdated: boolean;
}

/**
 * Which images a picture shows, and how they connect: each lineage's newest image, every image a channel
 * points at, and the images those were built on, so the picture is the tree as it stands rather than every
 * build ever made. An image is outdated when its parent lineage has a newer active image than the one it was
 * built on.
 */
function pictureGraph(lineages: readonly LineageHistory[]): {
  nodes: PictureNode[];
  edges: [string, string][];
} {
  const byId = new Map<string, { lineage: string; entry: HistoryEntry }>();
  for (const lineage of lineages) {
    for (const entry of lineage.entries)
      if (entry.kind === "image") byId.set(entry.id, { lineage: lineage.lineage, entry });
  }
  const newestActive = new Map<string, string>();
  for (const lineage of lineages) {
    const active = lineage.entries.find((entry) => entry.kind === "image" && entry.status === "active");
    if (active) newestActive.set(lineage.lineage, active.id);
  }
  const shown = new Set<string>();
  for (const lineage of lineages) {
    const images = lineage.entries.filter((entry) => entry.kind === "image");
    if (images[0]) shown.add(images[0].id);
    for (const entry of images) if (entry.channels.length > 0) shown.add(entry.id);
  }
  // Follow parents down so every shown image is connected to its base.
  for (const id of [...shown]) {
    let parent = parentRecordOf(byId.get(id)?.entry);
    while (parent !== undefined && byId.has(parent) && !shown.has(parent)) {
      shown.add(parent);
      parent = parentRecordOf(byId.get(parent)?.entry);
    }
  }
  const nodes: PictureNode[] = [];
  const edges: [string, string][] = [];
  const bases = new Map<string, string>();
  for (const lineage of lineages) {
    for (const entry of lineage.entries) {
      if (entry.kind !== "image" || !shown.has(entry.id)) continue;
      const key = `i${entry.id.slice(7, 19)}`;
      const parentRecord = parentRecordOf(entry);
      const parentLineage = parentRecord ? byId.get(parentRecord)?.lineage : undefined;
      const outdated =
        parentRecord !== undefined &&
        parentLineage !== undefined &&
        newestActive.get(parentLineage) !== undefined &&
        newestActive.get(parentLineage) !== parentRecord &&
        entry.status === "active";
      nodes.push({
        key,
        label: [
          `${lineage.lineage}#${entry.build ?? "?"}`,
          `${entry.version}${entry.status === "active" ? "" : ` (${entry.status})`}${outdated ? " (outdated)" : ""}`,
          ...(entry.channels.length > 0 ? [entry.channels.map((channel) => `@${channel}`).join(" ")] : []),
        ],
        kind: "image",
        revoked: entry.status === "revoked",
        deprecated: entry.status === "deprecated",
        outdated,
      });
      if (parentRecord !== undefined && shown.has(parentRecord)) {
        edges.push([`i${parentRecord.slice(7, 19)}`, key]);
      } else if ("external" in entry.parent) {
        const ref = entry.parent.external.ref;
        if (!bases.has(ref)) {
          bases.set(ref, `b${bases.size}`);
          nodes.push({
            key: `b${bases.size - 1}`,
            label: [ref],
            kind: "base",
            revoked: false,
            deprecated: false,
            outdated: false,
          });
        }
        edges.push([bases.get(ref) as string, key]);
      }
    }
  }
  return { nodes, edges };
}

function parentRecordOf(entry: HistoryEntry | undefined): string | undefined {
  return entry && "record" in entry.parent ? entry.parent.record : undefined;
}

/** The lineage tree as a Mermaid flowchart (GitHub and GitLab render it) or a Graphviz digraph. */
export function drawHistory(lineages: readonly LineageHistory[], format: PictureFormat): string {
  const { nodes, edges } = pictureGraph(lineages);
  return format === "mermaid" ? mermaid(nodes, edges) : dot(nodes, edges);
}

function mermaid(nodes: PictureNode[], edges: [string, string][]): string {
  const lines = ["flowchart TD"];
  for (const node of nodes) {
    const text = node.label.map(mermaidText).join("<br/>");
    lines.push(node.kind === "base" ? `  ${node.key}[("${text}")]` : `  ${node.key}["${text}"]`);
  }
  for (const [from, to] of edges) lines.push(`  ${from} --> ${to}`);
  lines.push(
    "  classDef revoked fill:#fdd,stroke:#c00,color:#600,stroke-dasharray:4 3",
    "  classDef deprecated fill:#eee,stroke:#888,color:#555",
    "  classDef outdated fill:#fff4d6,stroke:#d90",
    "  classDef base fill:#eef,stroke:#88a",
  );
  for (const name of ["revoked", "deprecated", "outdated", "base"] as const) {
    const keys = nodes
      .filter((node) => (name === "base" ? node.kind === "base" : node[name]))
      .map((node) => node.key);
    if (keys.length > 0) lines.push(`  class ${keys.join(",")} ${name}`);
  }
  return `${lines.join("\n")}\n`;
}

// Mermaid labels are quoted; quotes and markup characters become entity codes so a value cannot break out.
function mermaidText(text: string): string {
  return text.replace(/[^\p{L}\p{N} .,:@#+_/()-]/gu, (char) => `#${char.codePointAt(0)};`);
}

function dot(nodes: PictureNode[], edges: [string, string][]): string {
  const lines = ["digraph lineage {", "  rankdir=TB;", '  node [shape=box, fontname="sans-serif"];'];
  for (const node of nodes) {
    const style =
      node.kind === "base"
        ? 'shape=cylinder, color="#8888aa"'
        : node.revoked
          ? 'style="filled,dashed", fillcolor="#ffdddd", color="#cc0000"'
          : node.deprecated
            ? 'style=filled, fillcolor="#eeeeee", color="#888888"'
            : node.outdated
              ? 'style=filled, fillcolor="#fff4d6", color="#dd9900"'
              : "";
    lines.push(`  ${node.key} [label=${dotLabel(node.label)}${style ? `, ${style}` : ""}];`);
  }
  for (const [from, to] of edges) lines.push(`  ${from} -> ${to};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

// One DOT string, a line per part; control characters shown as escapes, quotes and backslashes escaped.
function dotLabel(parts: string[]): string {
  return `"${parts.map((part) => printable(part).replace(/[\\"]/g, "\\$&")).join("\\n")}"`;
}
