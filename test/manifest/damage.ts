import { readFileSync, writeFileSync } from "node:fs";
import { entryId } from "../../src/manifest/hash.js";
import { canonicalJson } from "../../src/util/canonical-json.js";
import { digest } from "../../src/util/digest.js";

type Line = Record<string, unknown>;

/** One way a line can lose the shape of a record or event, as a hand edit does it. */
export interface ShapeDamage {
  what: string;
  /** The 1-based line of the fleet (with a deprecate event of web#1 as line 13) it changes. */
  line: number;
  /** The line as the damage leaves it. */
  change: (line: Line) => Line;
}

// The fleet's lines: 2 base#1, 5 base#3 (with a layer), 8 web#2 (with a layer), 10 base@stable, 13 deprecate web#1.
export const SHAPE_DAMAGES: ShapeDamage[] = [
  { what: "a null parent", line: 8, change: (l) => ({ ...l, parent: null }) },
  { what: "no parent", line: 8, change: ({ parent: _, ...rest }) => rest },
  { what: "a null external base", line: 2, change: (l) => ({ ...l, parent: { external: null } }) },
  { what: "a number for a version", line: 8, change: (l) => ({ ...l, version: 5 }) },
  { what: "a number for a reason", line: 13, change: (l) => ({ ...l, reason: 5 }) },
  { what: "a number for layers", line: 5, change: (l) => ({ ...l, layers: 5 }) },
  { what: "a null layer", line: 5, change: (l) => ({ ...l, layers: [null] }) },
  {
    what: "a number for a layer name",
    line: 5,
    change: (l) => ({ ...l, layers: (l.layers as Line[]).map((layer) => ({ ...layer, name: 5 })) }),
  },
  { what: "a string for verify", line: 8, change: (l) => ({ ...l, verify: "x" }) },
  { what: "a null target", line: 10, change: (l) => ({ ...l, target: null }) },
  { what: "a number for a target", line: 10, change: (l) => ({ ...l, target: 5 }) },
];

/**
 * Applies a damage to a manifest file. `forged` also gives the line its new id and re-chains every later line, as
 * someone who knows the format can: then only the shape check can tell. Otherwise the id stays, as in a hand edit.
 */
export function damageManifest(path: string, damage: ShapeDamage, options: { forged: boolean }): void {
  const lines = readFileSync(path, "utf8").split("\n");
  const index = damage.line - 1;
  const line = damage.change(JSON.parse(lines[index] as string) as Line);
  if (!options.forged) {
    lines[index] = canonicalJson(line);
  } else {
    lines[index] = canonicalJson({ ...line, id: entryId(line) });
    for (let i = index + 1; i < lines.length && lines[i] !== ""; i++) {
      const next = JSON.parse(lines[i] as string) as Line;
      next.prev = digest(lines[i - 1] as string);
      lines[i] = canonicalJson({ ...next, id: entryId(next) });
    }
  }
  writeFileSync(path, lines.join("\n"));
}
