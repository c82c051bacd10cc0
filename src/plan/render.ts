import type { ImageConfigSpec } from "../recipe/types.js";
import { printable } from "../util/printable.js";
import type { BuildPlan, PlannedCheck, PlannedStep, PlanString } from "./types.js";

/** The colours the human view uses; `styleFor()` from the CLI provides them. */
export interface PlanPaint {
  bold(text: string): string;
  dim(text: string): string;
  cyan(text: string): string;
}

/**
 * The human view of a plan, as `bake plan` prints it: header, layers with steps and digests, verify checks.
 * Everything taken from the recipe or its variables passes through `printable()` before it is painted, so a
 * value can neither drive the terminal nor, with a newline, forge a line of the plan.
 */
export function renderPlan(plan: BuildPlan, paint: PlanPaint): string {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`  ${paint.dim(name.padEnd(8))} ${value}`);
  lines.push(
    `${paint.bold(printable(plan.lineage))} ${printable(plan.version)}${plan.description ? `  ${paint.dim(printable(plan.description))}` : ""}`,
  );
  field("parent", printable(describeParent(plan)));
  field("target", printable(`${plan.target.driver}${describeOptions(plan.target.options)}`));
  field("recipe", `${printable(plan.recipe.file)} ${paint.dim(plan.recipe.digest)}`);
  const vars = Object.entries(plan.vars).sort(([a], [b]) => (a < b ? -1 : 1));
  // JSON quoting escapes C0 controls and newlines; printable() the rest (DEL, C1, bidirectional overrides).
  if (vars.length > 0)
    field("vars", printable(vars.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(" ")));
  if (plan.secrets.length > 0)
    field("secrets", `${printable(plan.secrets.join(", "))} ${paint.dim("(values supplied at build)")}`);
  const labels = Object.entries(plan.labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (labels.length > 0)
    field("labels", printable(labels.map(([key, value]) => `${key}=${value}`).join(" ")));
  if (plan.config) field("config", printable(describeConfig(plan.config)));
  if (plan.retain) field("retain", `newest ${plan.retain.keep}`);
  for (const check of plan.rollout?.checks ?? []) {
    const get = `GET :${check.port}${check.path} answers ${check.status}`;
    const named = check.name === `http: :${check.port}${check.path}` ? "" : ` (${check.name})`;
    field("rollout", printable(`${get}${named}`));
  }
  // Credentials are shown only as who pushes, never the secret.
  for (const entry of plan.publish ?? []) {
    const who = entry.credentials
      ? ` ${paint.dim(printable(`as ${typeof entry.credentials.username === "string" ? entry.credentials.username : entry.credentials.username.secret}`))}`
      : "";
    field("publish", `${printable(entry.to)}${who}`);
  }
  plan.layers.forEach((layer, index) => {
    lines.push("");
    lines.push(`${paint.cyan(`layer ${index + 1}/${plan.layers.length}`)} ${paint.bold(layer.name)}`);
    lines.push(`  ${paint.dim("inputs")} ${layer.inputsDigest}`);
    layer.steps.forEach((step, stepIndex) => {
      lines.push(`  ${stepIndex + 1}. ${printable(step.title)}`);
      for (const detail of stepDetails(step)) lines.push(`     ${paint.dim(printable(detail))}`);
    });
  });
  lines.push("");
  if (plan.verify.length === 0) lines.push(`${paint.cyan("verify")} ${paint.dim("(no checks)")}`);
  else {
    lines.push(paint.cyan("verify"));
    for (const check of plan.verify) lines.push(`  - ${printable(`${check.name}: ${describeCheck(check)}`)}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeParent(plan: BuildPlan): string {
  const parent = plan.parent;
  if (parent.kind === "lineage") return `${parent.ref} (lineage ${parent.lineage} in the manifest)`;
  if (parent.location === "" || parent.ref.endsWith(parent.location)) return `${parent.ref} (external)`;
  return `${parent.ref} (external, ${parent.location})`;
}

function describeOptions(options: Record<string, unknown>): string {
  const keys = Object.keys(options).sort();
  if (keys.length === 0) return "";
  return ` ${keys.map((key) => `${key}=${JSON.stringify(options[key])}`).join(" ")}`;
}

function stepDetails(step: PlannedStep): string[] {
  const details: string[] = [];
  if (step.kind === "run") {
    const env = describeEnv(step.env);
    if (env) details.push(`env ${env}`);
    if (step.workdir) details.push(`workdir ${step.workdir}`);
    if (step.user) details.push(`user ${step.user}`);
    if (step.timeoutMs !== undefined) details.push(`timeout ${duration(step.timeoutMs)}`);
  } else if (step.kind === "copy") {
    const files = step.entries.filter((entry) => entry.type === "file");
    const bytes = files.reduce((sum, entry) => sum + (entry.size ?? 0), 0);
    details.push(`${files.length} ${files.length === 1 ? "file" : "files"}, ${bytes} bytes`);
    if (step.mode !== undefined) details.push(`mode ${octal(step.mode)}`);
    if (step.owner) details.push(`owner ${step.owner}`);
  } else {
    if (step.mode !== undefined) details.push(`mode ${octal(step.mode)}`);
    if (step.owner) details.push(`owner ${step.owner}`);
  }
  return details.length > 0 ? [details.join(", ")] : [];
}

function describeEnv(env: Record<string, PlanString>): string {
  return Object.keys(env)
    .sort()
    .map((key) => {
      const value = env[key] as PlanString;
      return typeof value === "string" ? `${key}=${JSON.stringify(value)}` : `${key}=<secret template>`;
    })
    .join(" ");
}

function describeCheck(check: PlannedCheck): string {
  const retries = check.retries > 0 ? `, ${check.retries} retries every ${duration(check.intervalMs)}` : "";
  const timing = `timeout ${duration(check.timeoutMs)}${retries}`;
  switch (check.kind) {
    case "run":
      return `run ${check.argv ? check.argv.join(" ") : firstLine(check.script ?? "")} (${timing})`;
    case "file": {
      const parts = [check.exists ? "exists" : "is absent"];
      if (check.contains !== undefined) parts.push(`contains ${JSON.stringify(check.contains)}`);
      if (check.mode !== undefined) parts.push(`mode ${octal(check.mode)}`);
      return `file ${check.path} ${parts.join(", ")} (${timing})`;
    }
    case "http": {
      const body = check.bodyContains === undefined ? "" : ` with ${JSON.stringify(check.bodyContains)}`;
      return `GET ${check.url} -> ${check.status}${body} (${timing})`;
    }
  }
}

function firstLine(script: string): string {
  const lines = script.split("\n").filter((line) => line.trim() !== "");
  return `${lines[0]?.trim() ?? ""}${lines.length > 1 ? " …" : ""}`;
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

// 900000 -> "15m", 90000 -> "1m30s", 1500 -> "1.5s", 250 -> "250ms": the way recipes write durations.
function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms / 1000;
  for (const [unit, size] of [
    ["h", 3600],
    ["m", 60],
  ] as const) {
    const whole = Math.floor(rest / size);
    if (whole > 0) parts.push(`${whole}${unit}`);
    rest -= whole * size;
  }
  if (rest > 0) parts.push(`${Number(rest.toFixed(3))}s`);
  return parts.join("");
}

// One line: the fields the recipe sets, argv arrays as JSON so spaces inside arguments stay visible.
function describeConfig(config: ImageConfigSpec): string {
  const parts: string[] = [];
  if (config.entrypoint) parts.push(`entrypoint=${JSON.stringify(config.entrypoint)}`);
  if (config.cmd) parts.push(`cmd=${JSON.stringify(config.cmd)}`);
  for (const [name, value] of Object.entries(config.env ?? {})) parts.push(`env.${name}=${value}`);
  if (config.workdir) parts.push(`workdir=${config.workdir}`);
  if (config.user) parts.push(`user=${config.user}`);
  if (config.exposedPorts) parts.push(`expose=${config.exposedPorts.join(",")}`);
  if (config.stopSignal) parts.push(`stopSignal=${config.stopSignal}`);
  for (const [name, value] of Object.entries(config.labels ?? {})) parts.push(`label.${name}=${value}`);
  return parts.join(" ");
}
