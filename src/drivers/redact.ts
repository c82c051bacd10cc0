import type { SecretValues } from "../plan/secrets.js";

/** Replaces every secret value (and every form of it listed in {@link secretForms}) in a text with `***`. */
export type Redactor = ((text: string) => string) & {
  /** The length of the longest form hidden, 0 when there are no secrets: what a stream must hold back. */
  readonly longest: number;
  /**
   * The first position at or after `at` where `text` can be cut in two without splitting a hidden form,
   * so that each piece can be redacted on its own.
   */
  safeCut(text: string, at: number): number;
};

/** What a redacted secret is shown as. */
export const MASK = "***";

/** The shortest line of a multi-line value that is hidden on its own; shorter lines would hide common text. */
export const MIN_LINE = 4;

// `base64` wraps its output at 76 columns: each wrapped line of an encoded secret is hidden too.
const BASE64_WRAP = 76;

/**
 * Every form of one secret value that output must never show: the value itself, and without the newline it
 * ends with (as a YAML block scalar's value does); each of its lines (split on `\n`, a trailing `\r` dropped) of
 * {@link MIN_LINE} or more characters, and that line without its surrounding whitespace; and the base64 encoding
 * of the value, with and without its final newline, whole and as the 76-column lines `base64` prints.
 * Forms shorter than {@link MIN_LINE} are left out, except the value itself (a short secret is still a secret).
 * Whitespace alone is never a form, except as the whole value, since it would hide every indentation.
 */
export function secretForms(value: string): string[] {
  if (value === "") return [];
  const forms = new Set([value]);
  // A YAML block scalar ends its value with a newline that nothing prints as part of the secret.
  const core = value.replace(/[\r\n]+$/, "");
  if (core.trim() !== "") forms.add(core);
  const long = (text: string) => [...text].length >= MIN_LINE && text.trim() !== "";
  for (const raw of value.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (long(line)) forms.add(line);
    if (long(line.trim())) forms.add(line.trim());
  }
  // `printf %s "$KEY" | base64` encodes the final newline; `$(cat key)` drops it: hide both encodings.
  for (const text of new Set([value, core])) {
    const encoded = Buffer.from(text, "utf8").toString("base64");
    if (long(encoded)) forms.add(encoded);
    for (let start = 0; encoded.length > BASE64_WRAP && start < encoded.length; start += BASE64_WRAP) {
      const slice = encoded.slice(start, start + BASE64_WRAP);
      if (long(slice)) forms.add(slice);
    }
  }
  return [...forms];
}

/**
 * Builds a redactor for these secret values. Longer forms are replaced first, so a secret that contains
 * another one is hidden whole; empty values are ignored (they would match everywhere).
 */
export function createRedactor(secrets: SecretValues): Redactor {
  const forms = [...new Set(Object.values(secrets).flatMap(secretForms))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) {
    return Object.assign((text: string) => text, { longest: 0, safeCut: (_text: string, at: number) => at });
  }
  const pattern = new RegExp(forms.map(escapeRegExp).join("|"), "g");
  const redact = (text: string) => {
    // A secret holding `*` can reappear where a mask meets the text beside it: replace until nothing matches.
    // Each round replaces at least one match, and forms of 4+ characters shrink the text, so this ends quickly.
    let current = text;
    for (let round = 0; round < 16; round++) {
      const next = current.replace(pattern, MASK);
      if (next === current) return current;
      current = next;
    }
    return current;
  };
  const safeCut = (text: string, at: number) => {
    const scan = new RegExp(pattern.source, "g");
    for (let match = scan.exec(text); match !== null && match.index < at; match = scan.exec(text)) {
      const end = match.index + match[0].length;
      if (end > at) return end;
    }
    return at;
  };
  return Object.assign(redact, { longest: forms[0]?.length ?? 0, safeCut });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Redacts every string inside a value (an event, say), keeping its shape: keys and non-string values as they
 * are. Redacting before serialising keeps JSON valid even when a secret holds quotes or backslashes.
 */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactDeep(item, redact)]),
    ) as T;
  }
  return value;
}
