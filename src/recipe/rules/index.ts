import { copySourcesInsideRoot } from "./copy.js";
import { parentReference } from "./from.js";
import { interpolationRules } from "./interpolation.js";
import { uniqueLayerNames } from "./layers.js";
import { durationsAndModes } from "./values.js";
import { variableDefinitions } from "./vars.js";

export type { Rule, RuleContext } from "./context.js";

/** Every semantic rule, run in this order after the schema passes. */
export const RULES = [
  uniqueLayerNames,
  copySourcesInsideRoot,
  parentReference,
  variableDefinitions,
  interpolationRules,
  durationsAndModes,
];
