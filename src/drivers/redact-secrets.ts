import type { SecretValues } from "../plan/secrets.js";

/**
 * Hides secret values, and their base64 form (how drivers carry them to an instance), from text a driver
 * reports: step output, Packer's lines, serial console lines. Longer values are replaced first.
 */
export function secretRedactor(secrets: SecretValues): (text: string) => string {
  const values = [...new Set(Object.values(secrets))]
    .filter((value) => value.length > 0)
    .flatMap((value) => [value, Buffer.from(value).toString("base64")])
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const pattern = new RegExp(
    values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"),
    "g",
  );
  return (text) => text.replace(pattern, "***");
}
