// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${vars.NAME} literally.
// Uses every entry point of @bakehq/bake as a program would, and prints what it saw as one JSON line.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as root from "@bakehq/bake";
import { isBakeError } from "@bakehq/bake";
import { checkManifest, manifestPath, openManifest } from "@bakehq/bake/manifest";
import { type BuildPlan, canonicalJson, compile, gatherInputs, planRecipe } from "@bakehq/bake/plan";
import {
  type Diagnostic,
  loadRecipe,
  renderDiagnostics,
  resolveVars,
  validateRecipe,
} from "@bakehq/bake/recipe";
import { createReporter, type Driver, execute, loadDriver, reporterMode } from "@bakehq/bake/run";
import { everyCodeListed, reactionTo } from "./codes.js";

const dir = await mkdtemp(path.join(tmpdir(), "bake-consumer-"));
await writeFile(path.join(dir, "motd"), "hello from a consumer\n");
const recipeText = [
  "apiVersion: bake/v1",
  "name: consumer",
  "version: ${vars.release}",
  "from: scratch",
  "vars:",
  "  release: { type: string, default: '1.0.0' }",
  "  token: { type: string, secret: true }",
  "layers:",
  "  - name: files",
  "    steps:",
  "      - copy: { from: motd, to: /etc/motd }",
  "      - run: echo built",
  "        env: { TOKEN: '${vars.token}' }",
  "",
].join("\n");
const recipeFile = path.join(dir, "recipe.yaml");
await writeFile(recipeFile, recipeText);

// recipe: validate text, load the file, render a bad recipe's diagnostics.
const validated = validateRecipe(recipeText, { file: recipeFile });
const loaded = await loadRecipe(recipeFile);
if (!loaded.recipe) throw new Error(renderDiagnostics(loaded.errors, { color: false }));
const recipe = loaded.recipe;
const bad = validateRecipe("apiVersion: bake/v1\nname: Bad Name\n", { file: "bad.yaml" });
const firstBad: Diagnostic | undefined = bad.errors[0];

// plan: resolve variables, gather inputs, compile; planRecipe gives the same bytes.
const { values } = await resolveVars(recipe, {
  cliVars: [],
  varFiles: [],
  env: {},
  cwd: dir,
  allowMissingSecrets: true,
});
const plan: BuildPlan = compile(recipe, {
  vars: values,
  secretNames: Object.keys(recipe.vars).filter((name) => recipe.vars[name]?.secret === true),
  inputs: await gatherInputs(recipe),
});
const planned = await planRecipe(recipeFile, { cwd: dir, env: {} });

// manifest: create one, read it, check it.
const manifestFile = manifestPath({ cwd: dir, env: {} });
const manifest = await openManifest(manifestFile, { create: true });
const report = await checkManifest(manifestFile);

// run: the gce driver without the optional Google client fails with a BakeError that says what to install.
const gceFile = path.join(dir, "cloud.yaml");
await writeFile(
  gceFile,
  [
    "apiVersion: bake/v1",
    "name: cloud",
    "from: gce:projects/debian-cloud/global/images/family/debian-12",
    "target: { driver: gce, project: my-project, zone: europe-west1-b }",
    "layers:",
    "  - name: one",
    "    steps:",
    "      - run: echo hi",
    "",
  ].join("\n"),
);
const gceRecipe = await loadRecipe(gceFile);
if (!gceRecipe.recipe) throw new Error(renderDiagnostics(gceRecipe.errors, { color: false }));
const gcePlan = compile(gceRecipe.recipe, {
  vars: {},
  secretNames: [],
  inputs: await gatherInputs(gceRecipe.recipe),
});
const driver: Driver = await loadDriver("gce");
driver.prepare(gcePlan.target, gcePlan);
const lines: string[] = [];
const reporter = await createReporter({
  mode: reporterMode({ json: true, out: { write: () => true }, env: {} }),
  out: { write: (text: string) => lines.push(text) },
  secrets: {},
});
let gceError: { code: string; message: string; reaction: string | undefined; exitCode: number } | undefined;
try {
  await execute(gcePlan, {
    driver,
    manifest,
    reporter,
    signal: new AbortController().signal,
    secrets: {},
    root: dir,
    cwd: dir,
    env: {},
  });
} catch (error) {
  if (!isBakeError(error)) throw error;
  gceError = {
    code: error.code,
    message: error.message,
    reaction: reactionTo(error.code),
    exitCode: error.exitCode,
  };
} finally {
  await reporter.close();
}
let unknownDriver: string | undefined;
try {
  await loadDriver("kubernetes");
} catch (error) {
  if (isBakeError(error)) unknownDriver = error.code;
}

console.log(
  JSON.stringify({
    validated: validated.errors.length === 0 && validated.recipe?.name === "consumer",
    badCode: firstBad?.code,
    badRendered: renderDiagnostics(bad.errors, { color: false }).includes("bad.yaml:"),
    planLineage: plan.lineage,
    planSecrets: plan.secrets,
    samePlanBytes: canonicalJson(plan) === canonicalJson(planned.plan),
    rootIsSame: root.compile === compile && root.openManifest === openManifest && root.execute === execute,
    exitCodeBadInput: root.ExitCode.BadInput,
    manifestRecords: manifest.records().length,
    fsckOk: report.ok,
    gceError,
    unknownDriver,
    reporterLines: lines.length,
    everyCodeListed,
  }),
);
