import { createRedactor, redactDeep } from "../../drivers/redact.js";
import { BakeError, ExitCode } from "../../errors.js";
import { chainBrokenError } from "../../manifest/append.js";
import { isStoreLocation, manifestPath } from "../../manifest/location.js";
import { type Manifest, openManifest } from "../../manifest/manifest.js";
import { inventorySideData } from "../../manifest/side-data.js";
import type { ImageRecord } from "../../manifest/types.js";
import { checkWritable } from "../../manifest/write-failure.js";
import { planRecipe } from "../../plan/plan-recipe.js";
import { renderDiagnostics } from "../../recipe/diagnostics.js";
import { type CiOutputs, createCiOutputs } from "../../run/ci/outputs.js";
import { earlyDriver } from "../../run/early-driver.js";
import { type ExecuteResult, execute } from "../../run/execute.js";
import { createReporter, fanOut, reporterMode } from "../../run/reporters/index.js";
import { printable } from "../../util/printable.js";
import { styleFor } from "../../util/style.js";
import { annotateDiagnostics } from "../github-annotations.js";
import { type CommandIO, type CommandRun, optionStrings } from "../io.js";
import { requestedJobs } from "../jobs.js";
import { namesTree } from "../tree/load.js";

/**
 * `bake build RECIPE`: plan the recipe, prepare its driver, then resolve, bake, verify and register.
 * Exit 0 when built (or up to date), 1 when a step or a check failed, 2 for bad input, 130 when interrupted.
 */
export const run: CommandRun = async (args, io) => {
  const { positionals, values } = args;
  if (
    positionals.length !== 1 ||
    values.outdated === true ||
    (await namesTree(positionals[0] as string, io.cwd))
  ) {
    const { buildTree } = await import("./build-tree.js");
    return buildTree(positionals, values, io);
  }
  requestedJobs(values, io);
  const ci = await createCiOutputs({
    recipe: args.positionals[0] as string,
    ...(typeof args.values.junit === "string" ? { junit: args.values.junit } : {}),
    env: io.env,
    cwd: io.cwd,
    warn: (message) => io.stderr.write(`warning: ${message}\n`),
  });
  try {
    return await build(args, io, ci);
  } catch (error) {
    await ci.failed(error);
    throw error;
  }
};

async function build(
  { positionals, values }: Parameters<CommandRun>[0],
  io: CommandIO,
  ci: CiOutputs,
): Promise<number> {
  const file = positionals[0] as string;
  const json = values.json === true;
  const path = manifestPath({
    ...(typeof values.manifest === "string" ? { flag: values.manifest } : {}),
    env: io.env,
    cwd: io.cwd,
  });
  // The driver loads, and starts its slow lookups (Packer's version, the parent image), while the recipe is planned.
  const early = earlyDriver({
    ...(typeof values.target === "string" ? { target: values.target } : {}),
    cwd: io.cwd,
    env: io.env,
  });
  const existing = await refuseBrokenManifest(path, io);
  const { plan, root, secrets, warnings } = await planRecipe(file, {
    cwd: io.cwd,
    env: io.env,
    cliVars: optionStrings(values, "var"),
    varFiles: optionStrings(values, "var-file"),
    ...(typeof values.target === "string" ? { target: values.target } : {}),
    requireSecrets: true,
    signal: io.signal,
    onLoaded: (recipe) => early.onLoaded(recipe),
  });
  const color = Boolean(io.stderr.isTTY) && (io.env.NO_COLOR ?? "") === "" && values["no-color"] !== true;
  if (warnings.length > 0) io.stderr.write(renderDiagnostics(warnings, { color, severity: "warning" }));
  annotateDiagnostics(io.stderr, { diagnostics: warnings, level: "warning", ...io });
  ci.planned(plan, secrets);

  const driver = await early.driver(plan.target.driver);
  const prepared = driver.prepare(plan.target, plan);
  for (const warning of prepared.warnings) io.stderr.write(`warning: ${warning}\n`);
  if (prepared.errors.length > 0) {
    throw new BakeError({
      code: "target-invalid",
      message: `the ${driver.id} target cannot build this recipe`,
      detail: prepared.errors.map((error) => `  - ${error}`).join("\n"),
      hint: `fix "target:" in ${file}, or choose another driver with --target`,
    });
  }

  // The manifest opened for the chain check serves the build when its file exists: it is not read twice.
  const manifest =
    !isStoreLocation(path) && existing.header() !== undefined
      ? existing
      : await openManifest(path, { create: true, env: io.env, lazy: true });
  const reporter = fanOut(
    await createReporter({
      mode: reporterMode({ json, out: io.stdout, env: io.env }),
      out: io.stdout,
      secrets,
    }),
    ci.reporter,
  );
  let result: ExecuteResult;
  try {
    result = await execute(plan, {
      driver,
      manifest,
      reporter,
      signal: io.signal,
      secrets,
      cwd: io.cwd,
      root,
      env: io.env,
      noCache: values["no-cache"] === true,
      ...inventorySideData(manifest.path, values["no-inventory"] !== true),
    });
  } finally {
    await reporter.close();
  }
  await ci.succeeded(result, (id) => manifest.ancestry(id));
  // Secrets are hidden in the values, before they are serialised: hiding them in the JSON text could cut through
  // its quotes and escapes, and miss a secret that JSON escapes.
  const shown = redactDeep(result, createRedactor(secrets));
  io.stdout.write(json ? resultJson(shown) : resultText(shown.record, shown, io));
  return ExitCode.Ok;
}

// Register would refuse a manifest whose chain is broken, after all the build work: refuse before any of it,
// with the same error. The manifest is only read here; it is created (when missing) once the plan is sound.
// Refuses, before any build work, a manifest the build could not register in: a broken chain, or a file bake may
// not write.
async function refuseBrokenManifest(path: string, io: CommandIO): Promise<Manifest> {
  const manifest = await openManifest(path, { env: io.env, mustExist: false, lazy: true });
  const { problem } = manifest.integrity();
  if (problem) throw chainBrokenError(path, problem);
  if (!isStoreLocation(path)) checkWritable(path);
  return manifest;
}
function resultJson(result: ExecuteResult): string {
  return `${JSON.stringify({
    type: "result",
    upToDate: result.upToDate,
    bakedLayers: result.bakedLayers,
    cachedLayers: result.cachedLayers,
    runId: result.runId,
    record: result.record,
  })}\n`;
}

// The closing summary: what was registered (or found up to date) and where it sits in its lineage. Versions,
// references and ids come from the recipe, its variables and the driver: each line is escaped, as history shows it.
function resultText(record: ImageRecord, result: ExecuteResult, io: CommandIO): string {
  const style = styleFor(io.stdout, io.env);
  const what = printable(`${record.lineage} ${record.version} build ${record.build ?? "?"}`);
  const headline = result.upToDate
    ? `${style.green("up to date")}: ${what} (nothing rebuilt)`
    : `${style.green("registered")} ${what}`;
  const parent =
    "record" in record.parent
      ? `${record.details?.parentRef ?? "lineage parent"} -> ${record.parent.record}`
      : `${record.parent.external.ref} -> ${record.parent.external.id}`;
  const lines = [
    `  id        ${record.id}`,
    `  lineage   ${record.lineage}`,
    `  version   ${record.version}`,
    `  build     ${record.build ?? "?"}`,
    `  parent    ${parent}`,
    `  artifact  ${record.artifact} (${record.driver})`,
    `  layers    ${(record.layers ?? []).map((layer) => layer.name).join(", ") || "(none)"}${result.upToDate ? "" : ` (baked: ${result.bakedLayers.join(", ") || "none"}; cached: ${result.cachedLayers.join(", ") || "none"})`}`,
    `  verify    ${record.verify ? `${record.verify.checks.filter((check) => check.ok).length}/${record.verify.checks.length} checks passed` : "not run"}`,
  ];
  return `${[headline, ...lines.map((line) => printable(line))].join("\n")}\n`;
}
