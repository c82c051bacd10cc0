// YAML 1.2 core schema resolution of plain scalars, as `yaml` (version 1.2, schema "core") resolves them: the
// first matching tag wins in the order null, bool, octal int, int, hex int, .inf/.nan, exponent float, float;
// anything else is a string. The differential test (test/recipe/fast-parse.differential.test.ts) holds this to
// `yaml`'s answers, including -0 and the precision of huge integers.

const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** The value of a non-empty plain scalar under the core schema. */
export function plainValue(text: string): string | number | boolean | null {
  const first = text.charCodeAt(0);
  // Most scalars are words: only ~, n/N, t/T, f/F, digits, signs and dots can start anything but a string.
  if (first === 0x7e || first === 0x6e || first === 0x4e) return NULL.test(text) ? null : text;
  if (first === 0x74 || first === 0x54 || first === 0x66 || first === 0x46) {
    return BOOL.test(text) ? first === 0x74 || first === 0x54 : text;
  }
  const numeric = (first >= 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e;
  if (!numeric) return text;
  if (INT_OCT.test(text)) return Number.parseInt(text.slice(2), 8);
  if (INT.test(text)) return Number.parseInt(text, 10);
  if (INT_HEX.test(text)) return Number.parseInt(text.slice(2), 16);
  if (FLOAT_SPECIAL.test(text)) {
    if (text.slice(-3).toLowerCase() === "nan") return Number.NaN;
    return text[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return Number.parseFloat(text);
  return text;
}
