import { readFile } from "node:fs/promises";
import { BakeError } from "../errors.js";

/** Read a `--var-file`: a YAML (or JSON, which is YAML) mapping of variable names to values. */
export async function readVarFile(path: string, shown: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BakeError({
      code: "var-file-unreadable",
      message:
        code === "ENOENT" ? `no var file at ${shown}` : `cannot read var file ${shown} (${code ?? "error"})`,
      hint: "--var-file takes a YAML or JSON file of NAME: VALUE lines",
    });
  }
  const { parseDocument } = await import("./yaml.js");
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, logLevel: "error" });
  const [problem] = doc.errors;
  if (problem) {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown}: ${problem.message.split("\n")[0]}`,
      hint: "--var-file takes a YAML or JSON file of NAME: VALUE lines",
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown} expands YAML aliases too many times`,
      hint: "write the values out instead of using aliases",
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new BakeError({
      code: "var-file-invalid",
      message: `${shown} is not a mapping of variable names to values`,
      hint: "write one NAME: VALUE per line, such as app_version: 2.5.0",
    });
  }
  return value as Record<string, unknown>;
}
