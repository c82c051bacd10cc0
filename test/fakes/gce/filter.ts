/**
 * A small subset of Compute Engine's list filter syntax, enough for bake's calls:
 * `labels.KEY:*` (has the label), `FIELD = "value"`, `FIELD != value`, joined by spaces or AND.
 */
export function matchesFilter(item: Record<string, unknown>, filter: string | undefined): boolean {
  if (!filter?.trim()) return true;
  const terms = filter.match(/\(?[a-zA-Z0-9_.-]+\s*(?::\s*\*|!=|=|:)\s*(?:"[^"]*"|[^\s)]+)\)?/g) ?? [];
  return terms.every((term) => matchTerm(item, term.replace(/^\(|\)$/g, "")));
}

function matchTerm(item: Record<string, unknown>, term: string): boolean {
  const match = /^([a-zA-Z0-9_.-]+)\s*(:\s*\*|!=|=|:)\s*(.*)$/.exec(term);
  if (!match) return true;
  const [, field = "", operator = "", rawValue = ""] = match;
  const value = rawValue.replace(/^"|"$/g, "");
  const actual = field
    .split(".")
    .reduce<unknown>((obj, key) => (obj as Record<string, unknown> | undefined)?.[key], item);
  if (operator.replace(/\s/g, "") === ":*") return actual !== undefined && actual !== null;
  if (operator === "!=") return String(actual ?? "") !== value;
  return String(actual ?? "") === value;
}
