import { describeWithId } from "../../manifest/describe.js";
import { diffRecords } from "../../manifest/diff.js";
import type { CommandRun } from "../io.js";
import {
  integrityJson,
  openForCommand,
  parentText,
  safe,
  stdoutStyle,
  warnAboutManifest,
  writeJson,
} from "../manifest-support.js";
import { packageDiffLines, packageDiffOf } from "../package-diff-text.js";
import { resolveRef } from "../resolve-ref.js";

const LAYER_NOTES = {
  same: "same",
  rebuilt: "rebuilt: same inputs, but a layer below or the parent changed",
  changed: "changed inputs",
  added: "added",
  removed: "removed",
} as const;

/** `bake diff REF REF [--json]`: what differs between two images, down to which layers' inputs changed. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const manifest = await openForCommand(values, io, { mustExist: true });
  const integrity = warnAboutManifest(manifest, io);
  const a = resolveRef(manifest, positionals[0] as string);
  const b = resolveRef(manifest, positionals[1] as string);
  const packages = await packageDiffOf(manifest, a, b);
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      ...integrityJson(integrity),
      ...diffRecords(a, b),
      ...(packages ? { packages } : {}),
    });
    return 0;
  }
  // Everything shown comes from a shared file: escaped, so a hostile value cannot drive the terminal.
  const diff = safe(diffRecords(a, b));
  const style = stdoutStyle(io, values);
  const out = [`${style.bold(describeWithId(a))} -> ${style.bold(describeWithId(b))}`];
  if (diff.identical) {
    out.push("  the same record");
    io.stdout.write(`${out.join("\n")}\n`);
    return 0;
  }
  const show = (field: string, value: string | undefined) => {
    if (value === undefined) return "(none)";
    return field === "parent"
      ? parentText(manifest, value.startsWith("sha256:") ? { record: value } : externalOf(value))
      : value;
  };
  const width = Math.max(8, ...diff.fields.map((change) => change.field.length));
  for (const change of diff.fields) {
    out.push(
      `  ${change.field.padEnd(width)}  ${style.red(show(change.field, change.a))} -> ${style.green(show(change.field, change.b))}`,
    );
  }
  if (diff.layers.length > 0) {
    out.push("layers:");
    const nameWidth = Math.max(...diff.layers.map((layer) => layer.name.length));
    for (const layer of diff.layers) {
      const note = LAYER_NOTES[layer.change];
      const painted =
        layer.change === "same"
          ? style.dim(note)
          : layer.change === "rebuilt"
            ? style.yellow(note)
            : style.cyan(note);
      out.push(`  ${layer.name.padEnd(nameWidth)}  ${painted}`);
    }
  }
  if (diff.labels.length > 0) {
    out.push("labels:");
    for (const label of diff.labels) {
      if (label.a === undefined) out.push(style.green(`  + ${label.field}=${label.b}`));
      else if (label.b === undefined) out.push(style.red(`  - ${label.field}=${label.a}`));
      else out.push(`  ~ ${label.field}: ${label.a} -> ${label.b}`);
    }
  }
  if (packages) out.push(...packageDiffLines(packages, style));
  io.stdout.write(`${out.join("\n")}\n`);
  return 0;
};

function externalOf(text: string) {
  const [ref, id] = text.split(" = ");
  return { external: { ref: ref ?? text, id: id ?? "" } };
}
