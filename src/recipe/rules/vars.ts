import { fullMatch, NUL_HINT, NUL_REASON, patternProblem } from "../var-check.js";
import type { WrittenScalar } from "../written.js";
import { type Rule, report } from "./context.js";

/** A variable's default and enum values have its type, its pattern compiles, and the default passes its own checks. */
export const variableDefinitions: Rule = (ctx) => {
  for (const [name, spec] of Object.entries(ctx.recipe.vars ?? {})) {
    const type = spec.type ?? "string";
    const path = ["vars", name];
    const wrongType = (value: WrittenScalar) => typeof value !== type;
    if (spec.default !== undefined && wrongType(spec.default)) {
      report(
        ctx,
        "error",
        { path: [...path, "default"] },
        {
          code: "var-default-type",
          message: `the default of \`${name}\` is ${typeof spec.default}, but the variable is a ${type}`,
          hint:
            type === "string"
              ? spec.secret === true
                ? "quote it" // never the value: it is a secret's
                : `quote it: default: "${String(spec.default)}"`
              : `write a ${type} value, or change \`type\``,
        },
      );
    }
    (spec.enum ?? []).forEach((value, index) => {
      if (!wrongType(value)) return;
      report(
        ctx,
        "error",
        { path: [...path, "enum", index] },
        {
          code: "var-enum-type",
          message: `\`${name}\` is a ${type}, but its allowed value ${JSON.stringify(value)} is a ${typeof value}`,
          hint: type === "string" ? "quote the value" : `write ${type} values`,
        },
      );
    });
    if (spec.pattern !== undefined) {
      if (type !== "string") {
        report(
          ctx,
          "warning",
          { path: [...path, "pattern"] },
          {
            code: "var-pattern-ignored",
            message: `\`pattern\` applies only to string variables; \`${name}\` is a ${type}`,
            hint: "remove `pattern`, or use `enum`",
          },
        );
      } else {
        const problem = patternProblem(spec.pattern);
        if (problem !== undefined) {
          report(
            ctx,
            "error",
            { path: [...path, "pattern"] },
            {
              code: "var-pattern-invalid",
              message: `the pattern of \`${name}\` cannot be used: ${problem}`,
              hint: "patterns use RE2 syntax (no lookahead, lookbehind or backreferences), without slashes, such as [0-9]+\\.[0-9]+",
            },
          );
          continue;
        }
      }
    }
    if (typeof spec.default === "string" && spec.default.includes("\0")) {
      report(
        ctx,
        "error",
        { path: [...path, "default"] },
        { code: "var-default-nul", message: `the default of \`${name}\` ${NUL_REASON}`, hint: NUL_HINT },
      );
    }
    if (spec.default !== undefined && !wrongType(spec.default)) {
      if (spec.enum && !spec.enum.includes(spec.default)) {
        report(
          ctx,
          "error",
          { path: [...path, "default"] },
          {
            code: "var-default-enum",
            message: `the default of \`${name}\` is not one of its allowed values`,
            hint: `allowed: ${spec.enum.map((value) => JSON.stringify(value)).join(", ")}`,
          },
        );
      }
      if (type === "string" && spec.pattern !== undefined && !fullMatch(spec.pattern, String(spec.default))) {
        report(
          ctx,
          "error",
          { path: [...path, "default"] },
          {
            code: "var-default-pattern",
            message: `the default of \`${name}\` does not match its pattern ${spec.pattern}`,
            hint: "fix the default or the pattern",
          },
        );
      }
    }
    if (spec.secret === true && spec.default !== undefined) {
      report(
        ctx,
        "warning",
        { path: [...path, "default"] },
        {
          code: "secret-default",
          message: `secret variable \`${name}\` has a default written in the recipe`,
          hint: "supply secrets with BAKE_VAR_* or --var-file at build time instead of committing them",
        },
      );
    }
  }
};
