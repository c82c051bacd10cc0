import { BakeError } from "../../errors.js";
import type { PlanString } from "../../plan/types.js";
import { VAR_REFERENCE } from "../../recipe/interpolation.js";
import { shellQuote } from "./shell-quote.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The environment variable that carries a secret into the instance, base64-encoded. */
export function secretCarrier(name: string): string {
  return `BAKE_SECRET_${name}`;
}

/** Shell lines that set variables to plan strings, and the secret variables they read. */
export interface EnvScript {
  lines: string[];
  secrets: string[];
}

/**
 * Exports each variable from the step script itself, quoted, so values never pass through Packer's Go-template
 * rendering. A secret arrives base64-encoded in its carrier variable (from a sensitive Packer variable) and is
 * decoded in the instance: base64 has no characters any template or shell would interpret.
 */
export function envScript(env: Readonly<Record<string, PlanString>>): EnvScript {
  const secrets = new Set<string>();
  const exports: string[] = [];
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!ENV_NAME.test(name)) {
      throw new BakeError({
        code: "packer-env-name",
        message: `environment variable name "${name}" cannot be exported by a shell`,
        hint: "use letters, digits and underscores, not starting with a digit",
      });
    }
    exports.push(`${name}=${valueExpression(value, secrets)}`, `export ${name}`);
  }
  const decode = [...secrets].sort().flatMap((name) => decodeSecret(name));
  const cleanup = secrets.size > 0 ? [`unset ${[...secrets].sort().map(plainSecret).join(" ")}`] : [];
  return { lines: [...decode, ...exports, ...cleanup], secrets: [...secrets].sort() };
}

/** Shell lines that write a plan string to a file, byte for byte. */
export function writeValueScript(value: PlanString, file: string): EnvScript {
  const secrets = new Set<string>();
  const expression = valueExpression(value, secrets);
  const decode = [...secrets].sort().flatMap((name) => decodeSecret(name));
  const cleanup = secrets.size > 0 ? [`unset ${[...secrets].sort().map(plainSecret).join(" ")}`] : [];
  return {
    lines: [...decode, `printf '%s' ${expression} > ${shellQuote(file)}`, ...cleanup],
    secrets: [...secrets].sort(),
  };
}

// Literal parts single-quoted, secret parts expanded from their decoded shell variable.
function valueExpression(value: PlanString, secrets: Set<string>): string {
  if (typeof value === "string") return shellQuote(value);
  const parts: string[] = [];
  let last = 0;
  for (const match of value.secret.matchAll(VAR_REFERENCE)) {
    const name = match[1] as string;
    if (match.index > last) parts.push(shellQuote(value.secret.slice(last, match.index)));
    parts.push(`"$${plainSecret(name)}"`);
    secrets.add(name);
    last = match.index + match[0].length;
  }
  if (last < value.secret.length) parts.push(shellQuote(value.secret.slice(last)));
  return parts.length === 0 ? "''" : parts.join("");
}

function plainSecret(name: string): string {
  return `bake_secret_${name}`;
}

// `printf x` keeps trailing newlines of the value, which command substitution would strip.
function decodeSecret(name: string): string[] {
  const plain = plainSecret(name);
  return [
    `${plain}="$(printf '%s' "$${secretCarrier(name)}" | base64 -d; printf x)"`,
    `${plain}="\${${plain}%x}"`,
    `unset ${secretCarrier(name)}`,
  ];
}
