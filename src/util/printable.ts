// C0 controls (tab and newline handled apart), DEL, C1 controls, and the bidirectional overrides and isolates
// that reorder what a terminal shows (CVE-2021-42574, "Trojan Source").
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this module is for
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const UNSAFE_WITH_NEWLINES = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

function escapeChar(char: string): string {
  const code = char.codePointAt(0) as number;
  if (char === "\n") return "\\n";
  if (char === "\r") return "\\r";
  if (code === 0x1b) return "\\e";
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Text from a recipe, a manifest or a store, made safe to print on a terminal: control characters, escape
 * sequences and bidirectional overrides become visible escapes (`\e`, `\x07`, `\u202e`), so a hostile value can
 * neither drive the terminal nor hide what it says. Tabs are kept; newlines are kept only with `multiline`.
 */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE : UNSAFE_WITH_NEWLINES, escapeChar);
}
