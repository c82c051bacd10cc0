import { posix } from "node:path";
import { guestInventoryScript } from "../../inventory/guest-report.js";
import { markerPrefix } from "./markers.js";

/** A file-system entry a `copy` or `file` step writes, with its bytes inlined. */
export type GuestEntry =
  | { type: "dir"; path: string; mode?: number; owner?: string }
  | { type: "file"; path: string; content: Buffer; mode?: number; owner?: string }
  | { type: "symlink"; path: string; target: string; owner?: string };

/** A program to run: a shell script or an argv, with its environment (secrets already revealed). */
export interface GuestCommand {
  script?: string;
  argv?: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  timeoutMs?: number;
}

/** One step of a layer, as the guest runs it. */
export type GuestStep = ({ kind: "run" } & GuestCommand) | { kind: "write"; entries: GuestEntry[] };

/** One verify check, as the guest runs it. */
export type GuestCheck = (
  | ({ kind: "run" } & GuestCommand)
  | { kind: "file"; path: string; exists: boolean; contains?: string; mode?: number }
  | { kind: "http"; url: string; status: number; bodyContains?: string }
) & { retries: number; intervalMs: number; timeoutMs: number };

/** Compute Engine's limit for one metadata value, which holds the whole startup script. */
export const METADATA_VALUE_LIMIT = 256 * 1024;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes a value for POSIX sh: inside single quotes nothing expands; a `'` becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The startup script of a builder instance: it runs the layer's steps in order and reports each on the serial
 * port with markers (`step-start`, `step-end`, then `failure` or `success`). Pure: the same input gives the same
 * script. Every value from the recipe reaches the shell single-quoted or base64-encoded, never spliced.
 * With `inventory` (a report marker, on the last layer), the steps are followed by the inventory step, which
 * prints the image's package databases to the serial port before `success` (see `guestInventoryScript`).
 */
export function layerStartupScript(input: {
  title: string;
  nonce: string;
  steps: GuestStep[];
  inventory?: string;
}): string {
  const body = input.steps.flatMap((step, index) => {
    const n = index + 1;
    const lines = [`bake_step=${n}`, `bake_mark step-start step=${n}`, "bake_t0=$(date +%s)"];
    if (step.kind === "run") lines.push(...commandFile(`s${n}`, step), `(${runLine(`s${n}`, step)})`);
    else lines.push(`(\nset -e\n${step.entries.map(writeEntry).join("\n")}\n)`);
    // timeout(1) exits 124 (GNU) or 143 (busybox): a step that ran its whole limit counts as timed out.
    const limit =
      step.kind === "run" && step.timeoutMs !== undefined ? Math.max(1, Math.ceil(step.timeoutMs / 1000)) : 0;
    lines.push(
      "bake_rc=$?; bake_why=step",
      limit > 0 ? `if [ $(($(date +%s) - bake_t0)) -ge ${limit} ]; then bake_why=timeout; fi` : ":",
      `bake_mark step-end step=${n} exit=$bake_rc`,
      `if [ "$bake_rc" -ne 0 ]; then bake_fail "$bake_rc" "$bake_why"; fi`,
    );
    return lines;
  });
  const inventory =
    input.inventory === undefined
      ? []
      : [
          ...embed('"$bake_dir/inventory"', Buffer.from(guestInventoryScript(input.inventory), "utf8")),
          // Like the markers: straight to the serial port when the script can write it, else through the agent.
          'if [ -c /dev/ttyS0 ] && [ -w /dev/ttyS0 ]; then /bin/sh "$bake_dir/inventory" >/dev/ttyS0; else /bin/sh "$bake_dir/inventory"; fi',
        ];
  return [
    ...prelude(input),
    ...body,
    ...inventory,
    "sync",
    'rm -rf "$bake_dir"',
    "bake_done=1",
    "bake_mark success",
    "",
  ].join("\n");
}

/**
 * The startup script of a verify instance: it runs every check with its retries, interval and per-attempt
 * timeout, reporting `check-start`, each `check-attempt` and `check-end`, then `success` (the checks ran;
 * their results are in the markers) or `failure` if the script itself broke.
 */
export function verifyStartupScript(input: { title: string; nonce: string; checks: GuestCheck[] }): string {
  const body = input.checks.flatMap((check, index) => {
    const n = index + 1;
    const seconds = Math.max(1, Math.ceil(check.timeoutMs / 1000));
    const interval = Math.max(0, Math.ceil(check.intervalMs / 1000));
    return [
      `bake_step=c${n}`,
      ...checkFile(`c${n}`, check),
      `bake_mark check-start check=${n}`,
      "bake_try=0; bake_ok=0",
      "while :; do",
      "  bake_try=$((bake_try + 1))",
      `  ( ${check.kind === "run" ? runLine(`c${n}`, { ...check, timeoutMs: check.timeoutMs }) : `exec timeout -k 5 ${seconds} /bin/sh "$bake_dir/c${n}"`} )`,
      "  bake_rc=$?",
      '  if [ "$bake_rc" -eq 0 ]; then bake_ok=1; fi',
      `  bake_mark check-attempt check=${n} attempt=$bake_try ok=$bake_ok exit=$bake_rc`,
      `  if [ "$bake_ok" -eq 1 ] || [ "$bake_try" -gt ${check.retries} ]; then break; fi`,
      `  sleep ${interval}`,
      "done",
      `bake_mark check-end check=${n} ok=$bake_ok attempts=$bake_try`,
    ];
  });
  return [...prelude(input), ...body, 'rm -rf "$bake_dir"', "bake_done=1", "bake_mark success", ""].join(
    "\n",
  );
}

/** The script's size in bytes and how far it is beyond the metadata limit (0 when it fits). */
export function scriptSize(script: string): { bytes: number; excess: number } {
  const bytes = Buffer.byteLength(script, "utf8");
  return { bytes, excess: Math.max(0, bytes - METADATA_VALUE_LIMIT) };
}

// Helpers every script starts with: markers go to the serial port (or stdout, which the guest agent forwards),
// an EXIT trap reports a script that died without a result, and `bake_as` runs a command as another user.
function prelude(input: { title: string; nonce: string }): string[] {
  const prefix = shellQuote(markerPrefix(input.nonce));
  return [
    "#!/bin/sh",
    `# Generated by bake: ${input.title.replace(/[\r\n]/g, " ")}`,
    "# Results are reported on the serial port as marker lines.",
    `bake_mark() { if [ -c /dev/ttyS0 ] && [ -w /dev/ttyS0 ]; then printf '%s%s\\n' ${prefix} "$*" >/dev/ttyS0; else printf '%s%s\\n' ${prefix} "$*"; fi; }`,
    'bake_fail() { bake_done=1; bake_mark failure step="$bake_step" exit="$1" reason="$2"; exit "$1"; }',
    'bake_exit() { bake_rc=$?; if [ -z "$bake_done" ]; then bake_mark failure step="$bake_step" exit="$bake_rc" reason=script; fi; }',
    'bake_as() { bake_user=$1; shift; if command -v runuser >/dev/null 2>&1; then exec runuser -u "$bake_user" -- "$@"; fi; exec su -p -s /bin/sh "$bake_user" -c \'exec "$@"\' sh "$@"; }',
    "bake_done=; bake_step=0",
    "trap bake_exit EXIT",
    "trap 'exit 143' TERM INT HUP",
    "umask 022",
    "bake_dir=$(mktemp -d /tmp/bake.XXXXXX) || bake_fail 1 setup",
  ];
}

// Writes a step's or check's program to `$bake_dir/NAME`, base64-encoded so no byte of it meets the shell.
function commandFile(name: string, command: GuestCommand): string[] {
  if (command.script === undefined) return [];
  return embed(`"$bake_dir/${name}"`, Buffer.from(command.script, "utf8"));
}

function checkFile(name: string, check: GuestCheck): string[] {
  if (check.kind === "run") return commandFile(name, check);
  return embed(`"$bake_dir/${name}"`, Buffer.from(checkBody(check), "utf8"));
}

// A file or http check as a small sh program; every value is single-quoted.
function checkBody(check: Exclude<GuestCheck, { kind: "run" }>): string {
  if (check.kind === "file") {
    const path = shellQuote(check.path);
    const lines = [check.exists ? `[ -e ${path} ] || exit 1` : `[ ! -e ${path} ] || exit 1`];
    if (check.exists && check.contains !== undefined) {
      lines.push(
        `content=$(cat ${path}) || exit 1`,
        `case "$content" in *${shellQuote(check.contains)}*) ;; *) exit 1 ;; esac`,
      );
    }
    if (check.exists && check.mode !== undefined) {
      lines.push(`[ "$(stat -c %a ${path})" = ${shellQuote(check.mode.toString(8))} ] || exit 1`);
    }
    return `${lines.join("\n")}\n`;
  }
  const url = shellQuote(check.url);
  const lines = [
    'command -v curl >/dev/null 2>&1 || { echo "curl is not installed on the image" >&2; exit 127; }',
    "body=$(mktemp) || exit 1",
    `code=$(curl -sS -o "$body" -w '%{http_code}' ${url}) || exit 1`,
    `[ "$code" = ${shellQuote(String(check.status))} ] || { echo "HTTP $code" >&2; exit 1; }`,
  ];
  if (check.bodyContains !== undefined) {
    lines.push(
      `content=$(cat "$body")`,
      `case "$content" in *${shellQuote(check.bodyContains)}*) ;; *) exit 1 ;; esac`,
    );
  }
  return `${lines.join("\n")}\n`;
}

// One command in a subshell: its directory, its environment (quoted), then exec'd with optional user and timeout.
function runLine(name: string, command: GuestCommand): string {
  const parts: string[] = [];
  parts.push(`cd ${shellQuote(command.workdir ?? "/")} || exit 1`);
  for (const [key, value] of Object.entries(command.env)) {
    if (!ENV_NAME.test(key)) throw new Error(`invalid environment variable name "${key}"`);
    parts.push(`export ${key}=${shellQuote(value)}`);
  }
  const program =
    command.argv !== undefined ? command.argv.map(shellQuote).join(" ") : `/bin/sh "$bake_dir/${name}"`;
  const timed =
    command.timeoutMs === undefined
      ? program
      : `timeout -k 5 ${Math.max(1, Math.ceil(command.timeoutMs / 1000))} ${program}`;
  parts.push(command.user === undefined ? `exec ${timed}` : `bake_as ${shellQuote(command.user)} ${timed}`);
  return parts.join("; ");
}

function writeEntry(entry: GuestEntry): string {
  const path = shellQuote(entry.path);
  const lines = [`mkdir -p ${shellQuote(posix.dirname(entry.path))}`];
  if (entry.type === "dir") lines.push(`mkdir -p ${path}`);
  else if (entry.type === "symlink") lines.push(`ln -sfn ${shellQuote(entry.target)} ${path}`);
  else lines.push(...embed(path, entry.content));
  if (entry.type !== "symlink" && entry.mode !== undefined)
    lines.push(`chmod ${entry.mode.toString(8)} ${path}`);
  if (entry.owner !== undefined) lines.push(`chown -h ${shellQuote(entry.owner)} ${path}`);
  return lines.join("\n");
}

// base64 in a quoted here-document: base64 text never contains the delimiter, and nothing in it expands.
function embed(target: string, content: Buffer): string[] {
  const encoded = content.toString("base64").replace(/.{1,76}/g, "$&\n");
  return [`base64 -d > ${target} <<'BAKE_EOF'`, `${encoded}BAKE_EOF`];
}
