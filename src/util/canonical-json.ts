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
      return JSON.stringify(value);
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
  if (keys.length > 1) keys.sort();
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

// Plans and digests repeat the same few dozen field names thousands of times; quote each once.
const QUOTED_KEYS = new Map<string, string>();
const MAX_QUOTED_KEYS = 1024;

function quotedKey(key: string): string {
  let quoted = QUOTED_KEYS.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS && key.length <= 64) QUOTED_KEYS.set(key, quoted);
  }
  return quoted;
}
