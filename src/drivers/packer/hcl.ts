/**
 * Escapes literal text for an HCL2 template string (every string in a `*.pkr.json` file is one), so that
 * `${` and `%{` stay literal instead of starting an interpolation or a directive.
 */
export function hclLiteral(text: string): string {
  return text.replace(/([$%])\{/g, (_match, sign: string) => `${sign}${sign}{`);
}

/** An HCL2 reference to a Packer variable, as a template string. */
export function hclVar(name: string): string {
  return `\${var.${name}}`;
}
