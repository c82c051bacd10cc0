import { nearest } from "../../util/nearest.js";
import { envNameFor, findInterpolations, malformedReference } from "../interpolation.js";
import type { RecipePath } from "../source.js";
import { type Rule, type RuleContext, report } from "./context.js";

/** How a string field may use variables. */
type Place = "script" | "secret-ok" | "plain" | "none";

/**
 * `${vars.NAME}` names a declared variable; it never appears in a `run` script (values reach scripts as
 * environment variables) or in `vars` themselves; secrets appear only in `env` values, `file` content and the
 * credentials of a `publish` entry, whose `password` must be a secret.
 */
export const interpolationRules: Rule = (ctx) => {
  walk(ctx.recipe, [], (text, path) => checkString(ctx, text, path));
};

function checkString(ctx: RuleContext, text: string, path: RecipePath): void {
  const place = placeOf(path);
  const found = findInterpolations(text, { script: place === "script" });
  if (found.length === 0) return;
  const vars = ctx.recipe.vars ?? {};
  for (const use of found) {
    const target = { path, needle: use.text };
    if (use.namespace !== "vars") {
      const guess = nearest(use.namespace, ["vars"]);
      if (place === "script" || (place === "secret-ok" && !guess)) continue; // shell or file syntax, not bake's
      report(ctx, "error", target, {
        code: "unknown-interpolation",
        message: `\`${use.text}\` is not a bake interpolation`,
        hint: guess ? `did you mean \`\${vars.${use.name}}\`?` : `bake interpolates only \`\${vars.NAME}\``,
      });
      continue;
    }
    if (place === "none") {
      report(ctx, "error", target, {
        code: "vars-interpolation",
        message: `\`${use.text}\` cannot be used inside \`vars\``,
        hint: "variable definitions are literal; set the value with --var, --var-file or BAKE_VAR_*",
      });
      continue;
    }
    if (place === "script") {
      const env = envNameFor(use.name || "NAME");
      report(ctx, "error", target, {
        code: "script-interpolation",
        message: `\`${use.text}\` inside a \`run\` script would splice a value into shell code`,
        hint: `use $${env}: variables reach scripts as environment variables (add \`env: { ${env}: "\${vars.${use.name || "NAME"}}" }\` to it)`,
      });
      continue;
    }
    if (!use.wellFormed) {
      // The compiler fills in only `${vars.NAME}` exactly; anything else would reach the image as written.
      report(ctx, "error", target, { code: "unknown-interpolation", ...malformedReference(use) });
      continue;
    }
    const spec = Object.hasOwn(vars, use.name) ? vars[use.name] : undefined;
    if (spec === undefined) {
      const guess = nearest(use.name, Object.keys(vars));
      report(ctx, "error", target, {
        code: "unknown-variable",
        message: `unknown variable \`${use.name}\` in \`${use.text}\``,
        hint: guess
          ? `did you mean \`${guess}\`?`
          : `declare it under \`vars:\`, such as \`${use.name || "name"}: { type: string }\``,
      });
      continue;
    }
    if (spec.secret === true && place !== "secret-ok") {
      report(ctx, "error", target, {
        code: "secret-misplaced",
        message: `secret variable \`${use.name}\` cannot be used here`,
        hint: "secrets may only appear in `env` values, `file` content and `publish` credentials, so they never reach plans, labels or names",
      });
    }
    if (spec.secret !== true && path[0] === "publish" && path[2] === "password") {
      report(ctx, "error", target, {
        code: "publish-password-not-secret",
        message: `\`publish\` password \`${use.text}\` names a variable that is not secret`,
        hint: `mark it \`secret: true\` under \`vars:\`, so its value never reaches a plan, a log or a record`,
      });
    }
  }
}

// Where a string sits decides what it may interpolate.
function placeOf(path: RecipePath): Place {
  const [top] = path;
  if (top === "vars") return "none";
  // A push's credentials: handed to skopeo in a 0600 auth file, never recorded.
  if (top === "publish" && (path[2] === "username" || path[2] === "password")) return "secret-ok";
  const inStep = top === "layers" && path[2] === "steps";
  const inCheck = top === "verify";
  if (!inStep && !inCheck) return "plain";
  const field = path.slice(inStep ? 4 : 2);
  if (field[0] === "run") return field.length === 1 ? "script" : "plain";
  if (field[0] === "env" && field.length === 2) return "secret-ok";
  if (inStep && field[0] === "file" && field[1] === "content") return "secret-ok";
  return "plain";
}

// Visits every string that could hold an interpolation. One path array is pushed and popped on the way down and
// copied only for the strings visited: most strings have no `${` and cost no allocation.
function walk(value: unknown, path: RecipePath, visit: (text: string, path: RecipePath) => void): void {
  if (typeof value === "string") {
    if (value.includes("${")) visit(value, [...path]);
  } else if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      walk(value[index], path, visit);
      path.pop();
    }
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      path.push(key);
      walk((value as Record<string, unknown>)[key], path, visit);
      path.pop();
    }
  }
}
