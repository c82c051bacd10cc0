import { describeRecord } from "../../manifest/describe.js";
import { shortId } from "../../manifest/hash.js";
import type { CommandRun } from "../io.js";
import {
  age,
  integrityJson,
  openForCommand,
  parentText,
  safe,
  statusText,
  stdoutStyle,
  warnAboutManifest,
  writeJson,
} from "../manifest-support.js";
import { resolveRef } from "../resolve-ref.js";

/** `bake show REF [--json]`: one record, its status and channels, and the servers seen running it. */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const manifest = await openForCommand(values, io, { mustExist: true });
  const integrity = warnAboutManifest(manifest, io);
  const found = resolveRef(manifest, positionals[0] as string);
  const line = manifest.lineOf(found.id);
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      ...integrityJson(integrity),
      line,
      record: found,
      status: manifest.status(found.id),
      observations: manifest.observations(found.id),
      publications: manifest.publications(found.id),
    });
    return 0;
  }
  // Everything shown comes from a shared file: escaped, so a hostile value cannot drive the terminal.
  const record = safe(found);
  const status = safe(manifest.status(found.id));
  const observations = safe(manifest.observations(found.id));
  const publications = safe(manifest.publications(found.id));
  const style = stdoutStyle(io, values);
  const now = new Date();
  const rows: [string, string][] = [
    ["id", record.id],
    ["status", statusText(status, style) || style.green("active")],
  ];
  if (status.inheritedFrom) {
    const from = manifest.get(status.inheritedFrom);
    rows.push([
      "",
      `revoked with its ancestor ${from ? describeRecord(from) : status.inheritedFrom} (--cascade)`,
    ]);
  }
  if (status.channels.length > 0)
    rows.push(["channels", status.channels.map((c) => `${record.lineage}@${c}`).join(", ")]);
  rows.push(
    ["lineage", record.lineage + (record.build !== undefined ? ` build #${record.build}` : "")],
    ["version", record.version],
    ["parent", parentText(manifest, record.parent)],
    ["driver", record.driver],
    ["artifact", record.artifact],
    ["recipe", record.recipeDigest],
  );
  if (record.layer) {
    rows.push([
      "layer",
      `${record.layer.name}  inputs ${shortId(record.layer.inputsDigest)}  key ${shortId(record.layer.cacheKey)}`,
    ]);
  }
  for (const [index, layer] of (record.layers ?? []).entries()) {
    rows.push([
      index === 0 ? "layers" : "",
      `${layer.name}  inputs ${shortId(layer.inputsDigest)}  key ${shortId(layer.cacheKey)}  record ${shortId(layer.record)}`,
    ]);
  }
  if (record.verify) {
    rows.push([
      "verify",
      `${record.verify.ok ? style.green("passed") : style.red("failed")} (${record.verify.checks.length} checks)`,
    ]);
    for (const check of record.verify.checks) {
      rows.push([
        "",
        `${check.ok ? "ok  " : "FAIL"} ${check.name} (${check.attempts} attempt${check.attempts === 1 ? "" : "s"}, ${check.durationMs} ms)`,
      ]);
    }
  }
  const labels = Object.entries(record.labels ?? {});
  if (labels.length > 0) rows.push(["labels", labels.map(([k, v]) => `${k}=${v}`).join(" ")]);
  for (const [key, value] of Object.entries(record.details ?? {})) rows.push([`  ${key}`, value]);
  const ci = record.ci
    ? `, ${record.ci.provider}${record.ci.runId ? ` run ${record.ci.runId}` : ""}${record.ci.commit ? ` commit ${record.ci.commit}` : ""}`
    : "";
  rows.push([
    "created",
    `${record.createdAt} (${age(record.createdAt, now)}) by bake ${record.bakeVersion}${ci}`,
  ]);
  if (record.runId) rows.push(["run", record.runId]);
  // A tree build records the cascade it ran in and the parent build that set it off.
  if (record.details?.cascade) {
    const after = record.details.cascadeAfter ? ` after ${record.details.cascadeAfter}` : "";
    rows.push(["cascade", `rebuilt in cascade ${record.details.cascade}${after}`]);
  }
  for (const [index, seen] of observations.entries()) {
    rows.push([index === 0 ? "servers" : "", `${seen.server} (seen ${age(seen.at, now)})`]);
  }
  for (const [index, pushed] of publications.entries()) {
    rows.push([
      index === 0 ? "published" : "",
      `${pushed.destination} as ${pushed.digest} (${age(pushed.at, now)})`,
    ]);
  }
  rows.push(["line", `${line} of ${manifest.path}`]);
  const width = Math.max(...rows.map(([key]) => key.length));
  io.stdout.write(`${style.bold(describeRecord(record))}  ${style.dim(`(${record.kind})`)}\n`);
  io.stdout.write(rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}\n`).join(""));
  return 0;
};
