import type { SecretValues } from "../plan/secrets.js";

/** Replaces every secret value in a line with `***`. */
export type Redactor = (text: string) => string;

/**
 * Builds a redactor for these secret values. Longer values are replaced first, so a secret that contains
 * another one is hidden whole; empty values are ignored (they would match everywhere).
 */
export function createRedactor(secrets: SecretValues): Redactor {
  const values = [...new Set(Object.values(secrets))]
    .filter((value) => value.length > 0)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const pattern = new RegExp(values.map(escapeRegExp).join("|"), "g");
  return (text) => text.replace(pattern, "***");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
