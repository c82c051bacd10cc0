/** One line of `packer -machine-readable` output: `timestamp,target,type,data...`. */
export interface MachineLine {
  /** Unix seconds. */
  timestamp: number;
  /** The build it concerns (`docker.bake`), or `""` for Packer itself. */
  target: string;
  type: string;
  /** The data fields, unescaped. */
  data: string[];
}

/** An artifact Packer reported. */
export interface PackerArtifact {
  target: string;
  index: number;
  /** The artifact id: a docker image id, `region:ami-...`, a GCE image name, ... */
  id?: string;
  builderId?: string;
  description?: string;
}

/** An error Packer reported for a build or for itself. */
export interface PackerError {
  target: string;
  message: string;
}

/** Undoes Packer's escaping of one field: commas, newlines and carriage returns. */
export function unescapeField(field: string): string {
  return field.replaceAll("%!(PACKER_COMMA)", ",").replaceAll("\\n", "\n").replaceAll("\\r", "\r");
}

/** Parses one line; `undefined` when the line is not machine-readable (a plugin's stray output, say). */
export function parseMachineLine(line: string): MachineLine | undefined {
  const fields = line.replace(/\r?\n$/, "").split(",");
  if (fields.length < 3) return undefined;
  const [timestamp, target, type, ...data] = fields as [string, string, string, ...string[]];
  if (!/^\d+$/.test(timestamp) || type === "") return undefined;
  return { timestamp: Number(timestamp), target, type, data: data.map(unescapeField) };
}

/** A `ui` line: what Packer showed a person, with its kind. */
export interface UiLine {
  kind: "say" | "message" | "error";
  text: string;
}

/** The `ui` content of a line, if it is one. */
export function uiLine(line: MachineLine): UiLine | undefined {
  if (line.type !== "ui") return undefined;
  const [kind, text = ""] = line.data;
  if (kind !== "say" && kind !== "message" && kind !== "error") return undefined;
  return { kind, text };
}

/**
 * Strips the decoration Packer puts on ui text (`==> docker.bake: `, `    docker.bake: `, `--> ...`),
 * leaving what the build printed.
 */
export function plainUiText(text: string): string {
  return text.replace(/^\n*(?:==> |--> |\s+)?[A-Za-z0-9_.-]+\.[A-Za-z0-9_-]+: ?/, "").replace(/^\n+/, "");
}

/** What a whole `packer build` said about its results. */
export interface BuildSummary {
  artifacts: PackerArtifact[];
  errors: PackerError[];
}

/** Collects artifacts and errors from a build's lines, in order, for any number of builds. */
export class SummaryCollector {
  private readonly artifacts = new Map<string, PackerArtifact>();
  private readonly errors: PackerError[] = [];

  add(line: MachineLine): void {
    if (line.type === "artifact") {
      const [index, key, ...rest] = line.data;
      const number = Number(index);
      if (!Number.isInteger(number) || key === undefined) return;
      const slot = `${line.target}\u0000${number}`;
      const artifact = this.artifacts.get(slot) ?? { target: line.target, index: number };
      const value = rest.join(",");
      if (key === "id") artifact.id = value;
      else if (key === "builder-id") artifact.builderId = value;
      else if (key === "string") artifact.description = value;
      this.artifacts.set(slot, artifact);
    } else if (line.type === "error") {
      this.errors.push({ target: line.target, message: line.data.join(",") });
    }
  }

  summary(): BuildSummary {
    return { artifacts: [...this.artifacts.values()], errors: [...this.errors] };
  }
}

/** Parses a whole output, for tests and tools that have it at once. */
export function summarizeOutput(output: string): BuildSummary {
  const collector = new SummaryCollector();
  for (const text of output.split("\n")) {
    const line = parseMachineLine(text);
    if (line) collector.add(line);
  }
  return collector.summary();
}
