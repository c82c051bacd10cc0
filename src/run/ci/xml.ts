import { printable } from "../../util/printable.js";

// Lone surrogates and the two non-characters XML 1.0 forbids; printable() handles the control characters.
const NOT_XML = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/gu;

/**
 * Text made safe as XML 1.0 character data: control characters become visible escapes (`\x07`), characters
 * XML cannot hold become U+FFFD, and markup characters become entities. Tabs and newlines are kept.
 */
export function xmlText(text: string): string {
  return printable(text, { multiline: true })
    .replace(NOT_XML, "\uFFFD")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/** {@link xmlText} for a double-quoted attribute value; newlines and tabs are kept as character references. */
export function xmlAttribute(text: string): string {
  return xmlText(text).replaceAll('"', "&quot;").replaceAll("\n", "&#10;").replaceAll("\t", "&#9;");
}
