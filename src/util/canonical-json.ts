/**
 * Serialises a JSON value with object keys sorted at every level and no whitespace, so the same value always
 * gives the same bytes (plans, digests). `undefined` properties are left out, as `JSON.stringify` does.
 * Throws a `TypeError` for values JSON cannot represent (non-finite numbers, bigints, functions, symbols).
 */
export function canonicalJson(value: unknown): string {
  const out = write(value);
  if (out === undefined) throw new TypeError("canonicalJson: the value has no JSON representation");
  return out;
}

// Returns undefined for values an object property should omit.
function write(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return quoted(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case "undefined":
      return undefined;
    case "object":
      return Array.isArray(value) ? writeArray(value) : writeObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
}

function writeArray(items: readonly unknown[]): string {
  // Arrays keep every slot; a missing item is null, as in JSON.stringify.
  let out = "[";
  for (let index = 0; index < items.length; index++) {
    if (index > 0) out += ",";
    out += write(items[index]) ?? "null";
  }
  return `${out}]`;
}

function writeObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object);
  sortKeys(keys);
  let out = "{";
  let first = true;
  for (const key of keys) {
    const text = write(object[key]);
    if (text === undefined) continue;
    out += first ? quotedKey(key) : `,${quotedKey(key)}`;
    out += `:${text}`;
    first = false;
  }
  return `${out}}`;
}

// Most strings need no escape, and a template is much cheaper than JSON.stringify; anything with a quote,
// backslash, control character or surrogate takes JSON.stringify's exact escaping.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

// Objects here have a handful of keys: an insertion sort by UTF-16 code units (what Array#sort does for strings)
// beats the generic sort's set-up.
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let index = 1; index < keys.length; index++) {
    const key = keys[index] as string;
    let at = index - 1;
    while (at >= 0 && (keys[at] as string) > key) {
      keys[at + 1] = keys[at] as string;
      at--;
    }
    keys[at + 1] = key;
  }
}

// Plans and digests repeat the same few dozen field names thousands of times; quote each once.
const QUOTED_KEYS = new Map<string, string>();
const MAX_QUOTED_KEYS = 1024;

function quotedKey(key: string): string {
  let text = QUOTED_KEYS.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS && key.length <= 64) QUOTED_KEYS.set(key, text);
  }
  return text;
}
