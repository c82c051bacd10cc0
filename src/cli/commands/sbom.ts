import { resolve } from "node:path";
import { BakeError } from "../../errors.js";
import { checkOutputFile, outputUnwritable } from "../../manifest/output-guard.js";
import { writeFile } from "../../util/fs-async.js";
import { readSbom, recordPackages } from "../inventory-support.js";
import type { CommandRun } from "../io.js";
import { openForCommand, warnAboutManifest, writeJson } from "../manifest-support.js";
import { resolveRef } from "../resolve-ref.js";

const FORMATS = ["cyclonedx", "spdx"] as const;

/**
 * `bake sbom REF [--format cyclonedx|spdx] [-o FILE]`: an image's package inventory, as bake stored it (CycloneDX
 * 1.6 JSON, re-hashed against its record) or converted to SPDX 2.3 JSON.
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const format = typeof values.format === "string" ? values.format : "cyclonedx";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new BakeError({
      code: "usage",
      message: `unknown format "${format}"`,
      hint: "use --format cyclonedx (the default) or --format spdx",
    });
  }
  const outputFile = typeof values.output === "string" ? resolve(io.cwd, values.output) : undefined;
  if (outputFile) checkOutputFile(outputFile, values.output as string, "-o");
  const manifest = await openForCommand(values, io, { mustExist: true });
  warnAboutManifest(manifest, io);
  const record = resolveRef(manifest, positionals[0] as string);
  let text: string;
  if (format === "cyclonedx") {
    text = (await readSbom(manifest, record)).toString("utf8");
  } else {
    const { spdxJson } = await import("../../inventory/spdx.js");
    text = spdxJson((await recordPackages(manifest, record)) ?? [], {
      lineage: record.lineage,
      version: record.version,
      artifact: record.artifact,
      sbom: record.details?.sbom ?? "",
      created: record.createdAt,
    });
  }
  if (outputFile) {
    await writeFile(outputFile, text).catch((error: unknown) => {
      throw outputUnwritable(values.output as string, "-o", error);
    });
    return 0;
  }
  // Package names come from the image: printed as JSON with anything that could drive a terminal escaped.
  writeJson(io, JSON.parse(text));
  return 0;
};
