import type { Rule } from "./context.js";
import { copySourcesInsideRoot } from "./copy.js";
import { parentReference } from "./from.js";
import { configUserId, stepAndCheckIds } from "./ids.js";
import { interpolationRules } from "./interpolation.js";
import { uniqueLayerNames } from "./layers.js";
import { durationsAndModes } from "./values.js";
import { variableDefinitions } from "./vars.js";

export type { Rule, RuleContext } from "./context.js";

/**
 * Every semantic rule, in order, with the top-level keys it reads: when the schema finds one of those broken as
 * a whole, the rule is skipped (broken layers, steps and checks are removed before the rules run, so the rest
 * still gets checked).
 */
export const RULES: { rule: Rule; reads: string[] }[] = [
  { rule: uniqueLayerNames, reads: ["layers"] },
  { rule: copySourcesInsideRoot, reads: ["layers"] },
  { rule: parentReference, reads: ["from"] },
  { rule: variableDefinitions, reads: ["vars"] },
  { rule: interpolationRules, reads: ["vars"] },
  { rule: durationsAndModes, reads: ["layers", "verify", "rollout"] },
  { rule: stepAndCheckIds, reads: ["layers", "verify"] },
  { rule: configUserId, reads: ["config"] },
];
