import { BakeError, type SourceLocation } from "../errors.js";
import { findInterpolations, malformedReference, VAR_REFERENCE } from "../recipe/interpolation.js";
import type { VarValue } from "../recipe/types.js";
import { child, type Field, type Locate } from "./field.js";
import type { PlanString } from "./types.js";

/** Fills `${vars.NAME}` references in plan strings; tracks which secret variables were referenced. */
export class Interpolator {
  readonly #vars: Readonly<Record<string, VarValue>>;
  readonly #secretNames: ReadonlySet<string>;
  readonly #usedSecrets = new Set<string>();
  readonly #locate: Locate;

  constructor(options: {
    vars: Readonly<Record<string, VarValue>>;
    secretNames: Iterable<string>;
    /** Where a field is written, for the location of an error. @default none */
    locate?: Locate;
  }) {
    this.#vars = options.vars;
    this.#secretNames = new Set(options.secretNames);
    this.#locate = options.locate ?? (() => undefined);
  }

  /** The secret variable names referenced so far, sorted. */
  usedSecrets(): string[] {
    return [...this.#usedSecrets].sort();
  }

  /** Where `field` is written in the recipe, when known. */
  locate(field: Field): SourceLocation | undefined {
    return this.#locate(field.path, { key: field.key === true });
  }

  /** A BakeError about `field`, at its place in the recipe when known. */
  error(field: Field, options: ConstructorParameters<typeof BakeError>[0]): BakeError {
    return new BakeError({ ...options, location: options.location ?? this.locate(field) });
  }

  /**
   * A field that may carry secrets (env values, file content): secret references stay as a template,
   * every other reference is filled in.
   */
  secretable(value: string, field: Field): PlanString {
    if (!value.includes("${")) return value;
    this.#refuseMalformed(value, field);
    const secrets: string[] = [];
    const filled: string[] = [];
    const text = value.replace(VAR_REFERENCE, (match, name: string) => {
      if (this.#secretNames.has(name)) {
        secrets.push(name);
        this.#usedSecrets.add(name);
        return match;
      }
      const part = this.#valueOf(name, field);
      filled.push(part);
      return part;
    });
    if (secrets.length === 0) return text;
    if (filled.some((part) => part.search(VAR_REFERENCE) !== -1)) {
      // A filled-in value that itself looks like a reference would be expanded again when the secret is revealed.
      throw this.error(field, {
        code: "ambiguous-reference",
        message: `${field.label} mixes a secret with a variable whose value contains a \${vars...} reference`,
        hint: 'remove the "${" reference text from that variable\'s value',
      });
    }
    return { secret: text };
  }

  /** A plain field: every reference is filled in, and a secret reference is an error. */
  plain(value: string, field: Field): string {
    if (!value.includes("${")) return value;
    this.#refuseMalformed(value, field);
    return value.replace(VAR_REFERENCE, (_match, name: string) => {
      if (this.#secretNames.has(name)) {
        throw this.error(field, {
          code: "secret-misplaced",
          message: `${field.label} refers to the secret variable "${name}"`,
          hint: "secrets may only be used in env values and file content, so they never reach a plan or a record",
        });
      }
      return this.#valueOf(name, field);
    });
  }

  /** Plain interpolation through every string of a JSON-like value (target options). */
  deep(value: unknown, field: Field): unknown {
    if (typeof value === "string") return this.plain(value, field);
    if (Array.isArray(value)) return value.map((item, index) => this.deep(item, child(field, index)));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = this.deep(item, child(field, key));
      return out;
    }
    return value;
  }

  /** Refuses interpolation inside a shell script, where a value could be spliced into code. */
  assertNoInterpolation(script: string, field: Field): void {
    if (findInterpolations(script, { script: true }).some((use) => use.namespace === "vars")) {
      throw this.error(field, {
        code: "script-interpolation",
        message: `${field.label} contains \${vars...}, which bake never splices into a shell script`,
        hint: "use $X: variables reach scripts as environment variables (set them under env:)",
      });
    }
  }

  // A reference the validator refuses (`${ vars.x }`, `${vars}`) must not pass through as text when a recipe
  // reaches the compiler some other way.
  #refuseMalformed(value: string, field: Field): void {
    const use = findInterpolations(value).find((found) => found.namespace === "vars" && !found.wellFormed);
    if (use === undefined) return;
    const { message, hint } = malformedReference(use);
    throw this.error(field, { code: "unknown-interpolation", message: `${field.label}: ${message}`, hint });
  }

  #valueOf(name: string, field: Field): string {
    // Own properties only: `__proto__` or `toString` is a variable's name, never Object.prototype's.
    const value = Object.hasOwn(this.#vars, name) ? this.#vars[name] : undefined;
    if (value === undefined) {
      throw this.error(field, {
        code: "unknown-variable",
        message: `${field.label} refers to the variable "${name}", which has no value`,
        hint: `declare it under vars: and give it a default, or pass --var ${name}=...`,
      });
    }
    return String(value);
  }
}
