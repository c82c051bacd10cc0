import { printable } from "../../util/printable.js";

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/** Text as HTML character data: a value can neither open a tag nor become an entity. */
export function escapeHtml(text: string): string {
  return printable(text, { multiline: true }).replace(/[&<>"]/g, (char) => HTML[char] as string);
}

/**
 * Text from a recipe, a manifest or a driver as one line of Markdown (a table cell, a list item): HTML is
 * escaped, and the punctuation that makes Markdown is backslash-escaped (so no link, image, emphasis, code span,
 * heading, table pipe, mention, emoji or autolink can form), and line breaks become `<br>`. Values are never
 * placed at the start of a line, so list markers (`-`, `1.`) need no escape.
 */
export function escapeMarkdown(text: string): string {
  return escapeHtml(text)
    .replace(/[\\`*_[\]#!|~@:]/g, "\\$&")
    .replace(/\r?\n/g, "<br>");
}

/** An id such as `sha256:3f2a...` in a code span, when it is made of id characters only; escaped text otherwise. */
export function code(text: string): string {
  return /^[A-Za-z0-9:./_@+-]+$/.test(text) ? `\`${text}\`` : escapeMarkdown(text);
}

/** Multi-line text (a failure's message and output) as a `<pre>` block, which ends only at `</pre>`. */
export function preBlock(text: string): string {
  return `<pre>${escapeHtml(text)}</pre>`;
}
