import path from "node:path/posix";
import type { PlannedCheck, PlannedCopyStep, PlannedFileStep, PlanString } from "../../plan/types.js";
import { envScript, writeValueScript } from "./env-script.js";
import { shellJoin, shellQuote } from "./shell-quote.js";

/** A generated shell script and the secret variables it needs from Packer. */
export interface StepScript {
  text: string;
  secrets: string[];
}

interface Command {
  script?: string;
  argv?: string[];
  env: Readonly<Record<string, PlanString>>;
  user?: string;
  workdir?: string;
}

/**
 * The script of a `run` step: exports its environment, enters its workdir, then runs the step's script as
 * `/bin/sh -c` would (verbatim) or its argv without a shell; `user` switches with `su` keeping the environment.
 */
export function runScript(command: Command, header: string): StepScript {
  const env = envScript(command.env);
  const lines = ["#!/bin/sh", comment(header), ...env.lines];
  if (command.workdir !== undefined) lines.push(`cd ${shellQuote(command.workdir)} || exit 1`);
  lines.push(commandLine(command));
  return { text: `${lines.join("\n")}\n`, secrets: env.secrets };
}

// The step itself: a verbatim script runs in this shell, so it behaves as under `sh -c`.
function commandLine(command: Command): string {
  const inner = command.argv ? `exec ${shellJoin(command.argv)}` : (command.script ?? "");
  if (command.user === undefined) return inner;
  return `exec su -m -s /bin/sh ${shellQuote(command.user)} -c ${shellQuote(inner)}`;
}

/** Where a `copy` step's upload waits in the instance before the placement script moves it. */
export function stagingPath(layerIndex: number, stepIndex: number): string {
  return `/tmp/bake-stage-${layerIndex + 1}-${stepIndex + 1}`;
}

/**
 * Places an uploaded copy source: contents of a directory into `to`, a file at `to` (or inside it when `to`
 * ends with `/`). Every entry's mode is set from the plan, symlinks are recreated, and the owner applied.
 */
export function copyPlacementScript(step: PlannedCopyStep, staging: string, header: string): StepScript {
  const lines = ["#!/bin/sh", comment(header), "set -e", `staging=${shellQuote(staging)}`];
  const single = step.entries.length === 1 && step.entries[0]?.path === "";
  if (single) {
    const target = step.to.endsWith("/") ? path.join(step.to, path.basename(step.from)) : step.to;
    const mode = step.mode ?? step.entries[0]?.mode ?? 0o644;
    lines.push(
      `mkdir -p ${shellQuote(path.dirname(target))}`,
      `cp "$staging" ${shellQuote(target)}`,
      `chmod ${octal(mode)} ${shellQuote(target)}`,
    );
    if (step.owner !== undefined) lines.push(`chown ${shellQuote(step.owner)} ${shellQuote(target)}`);
  } else {
    const to = step.to.replace(/\/+$/, "") || "/";
    lines.push(`mkdir -p ${shellQuote(to)}`, `cp -a "$staging/." ${shellQuote(`${to}/`)}`);
    for (const entry of step.entries) {
      const target = shellQuote(path.join(to, entry.path));
      if (entry.type === "symlink") {
        lines.push(`rm -rf ${target}`, `ln -s ${shellQuote(entry.target ?? "")} ${target}`);
      } else {
        const mode = entry.type === "file" ? (step.mode ?? entry.mode) : entry.mode;
        lines.push(`chmod ${octal(mode)} ${target}`);
      }
      if (step.owner !== undefined) lines.push(`chown -h ${shellQuote(step.owner)} ${target}`);
    }
  }
  lines.push(`rm -rf "$staging"`);
  return { text: `${lines.join("\n")}\n`, secrets: [] };
}

/**
 * Places a `file` step's content. Plain content was uploaded to `staging`; secret content is written here from
 * its decoded variable, so it never sits in a file on the machine running Packer.
 */
export function filePlacementScript(
  step: PlannedFileStep,
  options: { staging?: string; header: string },
): StepScript {
  const target = shellQuote(step.path);
  const lines = [
    "#!/bin/sh",
    comment(options.header),
    "set -e",
    `mkdir -p ${shellQuote(path.dirname(step.path))}`,
  ];
  let secrets: string[] = [];
  if (options.staging !== undefined) {
    lines.push(`cp ${shellQuote(options.staging)} ${target}`, `rm -f ${shellQuote(options.staging)}`);
  } else {
    const write = writeValueScript(step.content, step.path);
    lines.push("umask 077", ...write.lines);
    secrets = write.secrets;
  }
  lines.push(`chmod ${octal(step.mode ?? 0o644)} ${target}`);
  if (step.owner !== undefined) lines.push(`chown ${shellQuote(step.owner)} ${target}`);
  return { text: `${lines.join("\n")}\n`, secrets };
}

/** Where failed checks are listed in the verify instance, for the closing script to fail the build. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, spelled literally.
export const VERIFY_FAILURES = '"${TMPDIR:-/tmp}/bake-verify-failures"';

/**
 * A verify check as a script that never fails the Packer build by itself: it retries as the check says and
 * prints `<marker>:start`, then `<marker>:ok:<attempts>` or `<marker>:fail:<attempts>:<exit code>`, which the
 * driver reads to report every check, not only the first failing one. A failed check also appends its name to
 * `VERIFY_FAILURES`, so `verifySummaryScript` (the last provisioner) fails the build after all checks ran.
 */
export function checkScript(check: PlannedCheck, options: { marker: string; header: string }): StepScript {
  const body = checkCommand(check);
  const seconds = Math.max(1, Math.ceil(check.timeoutMs / 1000));
  const pause = (check.intervalMs / 1000).toFixed(3).replace(/\.?0+$/, "");
  const lines = [
    "#!/bin/sh",
    comment(options.header),
    ...body.env,
    `marker=${shellQuote(options.marker)}`,
    `check=${shellQuote(body.command)}`,
    'echo "$marker:start"',
    "attempt=0",
    "while :; do",
    "  attempt=$((attempt + 1))",
    "  if command -v timeout >/dev/null 2>&1; then",
    `    timeout ${seconds} /bin/sh -c "$check"`,
    "  else",
    '    /bin/sh -c "$check"',
    "  fi",
    "  code=$?",
    '  if [ "$code" -eq 0 ]; then echo "$marker:ok:$attempt"; exit 0; fi',
    `  if [ "$attempt" -gt ${check.retries} ]; then`,
    '    echo "$marker:fail:$attempt:$code"',
    `    printf '%s\\n' ${shellQuote(check.name.replace(/[\r\n]+/g, " "))} >> ${VERIFY_FAILURES}`,
    "    exit 0",
    "  fi",
    `  sleep ${pause || "0"}`,
    "done",
  ];
  return { text: `${lines.join("\n")}\n`, secrets: body.secrets };
}

/**
 * The verify build's last provisioner: it prints `<marker>:passed`, or `<marker>:failed` and the failed checks'
 * names, and then exits 1 so that Packer alone (`packer build verify.pkr.json`) fails when a check failed.
 */
export function verifySummaryScript(options: { marker: string }): StepScript {
  const lines = [
    "#!/bin/sh",
    "# bake: fails the verify build when any check above failed (their names are listed)",
    `marker=${shellQuote(options.marker)}`,
    `if [ -s ${VERIFY_FAILURES} ]; then`,
    '  echo "$marker:failed"',
    `  sed 's/^/verify check failed: /' ${VERIFY_FAILURES}`,
    `  rm -f ${VERIFY_FAILURES}`,
    "  exit 1",
    "fi",
    'echo "$marker:passed"',
  ];
  return { text: `${lines.join("\n")}\n`, secrets: [] };
}

// The check as one shell command, plus the environment it needs.
function checkCommand(check: PlannedCheck): { command: string; env: string[]; secrets: string[] } {
  if (check.kind === "run") {
    const env = envScript(check.env);
    let command = check.argv ? `exec ${shellJoin(check.argv)}` : (check.script ?? "");
    if (check.user !== undefined) {
      command = `exec su -m -s /bin/sh ${shellQuote(check.user)} -c ${shellQuote(command)}`;
    }
    if (check.workdir !== undefined) command = `cd ${shellQuote(check.workdir)} || exit 1\n${command}`;
    return { command, env: env.lines, secrets: env.secrets };
  }
  if (check.kind === "file") {
    const file = shellQuote(check.path);
    if (!check.exists) return { command: `! test -e ${file} && ! test -L ${file}`, env: [], secrets: [] };
    const parts = [`test -e ${file}`];
    if (check.contains !== undefined) parts.push(`grep -qF -- ${shellQuote(check.contains)} ${file}`);
    if (check.mode !== undefined) {
      parts.push(`test "$(stat -c %a ${file})" = ${shellQuote(check.mode.toString(8))}`);
    }
    return { command: parts.join(" && "), env: [], secrets: [] };
  }
  const url = shellQuote(check.url);
  const body =
    check.bodyContains === undefined ? "" : ` && grep -qF -- ${shellQuote(check.bodyContains)} "$body"`;
  // curl when the image has it, else busybox or GNU wget (whose -S prints the status line).
  const command = [
    'body="$(mktemp)"',
    "if command -v curl >/dev/null 2>&1; then",
    `  status="$(curl -s -o "$body" -w '%{http_code}' ${url})"`,
    "else",
    `  status="$(wget -S -O "$body" ${url} 2>&1 | sed -n 's/^ *HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' | tail -n 1)"`,
    "fi",
    `test "$status" = ${check.status}${body}`,
  ].join("\n");
  return { command, env: [], secrets: [] };
}

// One comment line: titles come from the recipe and may hold newlines.
function comment(text: string): string {
  return `# ${text.replace(/[\r\n]+/g, " ")}`;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
