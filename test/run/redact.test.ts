import { createHash } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type {
  Artifact,
  BakeLayerInput,
  Driver,
  ResolvedImage,
  VerifyInput,
  VerifyResult,
} from "../../src/drivers/driver.js";
import type { Reporter } from "../../src/drivers/events.js";
import { createRedactor, secretForms } from "../../src/drivers/redact.js";
import { SecretLines } from "../../src/drivers/secret-lines.js";
import { BakeError, BuildFailedError } from "../../src/errors.js";
import { execute } from "../../src/run/execute.js";
import { createJsonReporter } from "../../src/run/reporters/json.js";
import { createListrReporter } from "../../src/run/reporters/listr.js";
import { createPlainReporter } from "../../src/run/reporters/plain.js";
import { MemoryManifest, twoLayerPlan } from "./fakes.js";

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

const PEM = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACBv0mWq7Yw2lH0n2hVqkq3Jv3xKp7ZfQ9p4x1f2b3c4dAAAAJgAAAAA",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

describe("secret forms", () => {
  it("lists the value, each line of four or more characters without its CR, and the base64 form", () => {
    const forms = secretForms("line-one\r\nab\r\n  padded line  \n");
    expect(forms).toContain("line-one\r\nab\r\n  padded line  \n");
    expect(forms).toContain("line-one");
    expect(forms).not.toContain("line-one\r");
    expect(forms).not.toContain("ab");
    expect(forms).toContain("  padded line  ");
    expect(forms).toContain("padded line");
    expect(forms).toContain(Buffer.from("line-one\r\nab\r\n  padded line  \n").toString("base64"));
    expect(forms).toContain(Buffer.from("line-one\r\nab\r\n  padded line  ").toString("base64"));
  });

  it("never hides whitespace alone, which would blank out indentation", () => {
    expect(secretForms("key\n      \nmore")).not.toContain("      ");
  });

  it("hides each line of a PEM key wherever it is printed, and its base64 as `base64` wraps it", () => {
    const redact = createRedactor({ key: PEM });
    const wrapped = (
      Buffer.from(PEM)
        .toString("base64")
        .match(/.{1,76}/g) ?? []
    ).join("\n");
    const shown = redact(`cat key:\n${PEM}\nagain: ${PEM.split("\n")[1]}\nencoded:\n${wrapped}`);
    for (const line of PEM.split("\n").filter((line) => line.length >= 4)) expect(shown).not.toContain(line);
    for (const line of wrapped.split("\n").filter((line) => line.length >= 4))
      expect(shown).not.toContain(line);
    expect(shown).toContain("cat key:\n***");
  });

  it("does not let a secret holding asterisks reappear where a mask meets the text", () => {
    const redact = createRedactor({ s: "a***" });
    expect(redact("aaaa***")).not.toContain("a***");
  });
});

describe("secret lines", () => {
  const redact = createRedactor({ key: "s3cr3t-token" });

  it("hides a secret written in pieces that cut it anywhere", () => {
    const lines = new SecretLines(redact);
    const out = [..."key=s3cr3t-token\r\nnext".split("").flatMap((char) => lines.push(char)), ...lines.end()];
    expect(out).toEqual(["key=***", "next"]);
  });

  it("lets out a long line without a newline in parts, never cutting through a secret", () => {
    const lines = new SecretLines(redact, { maxLine: 10 });
    const text = `${"x".repeat(7)}s3cr3t-token${"y".repeat(30)}s3cr3t-token`;
    const out: string[] = [];
    for (const char of text) out.push(...lines.push(char));
    expect(out.length).toBeGreaterThan(1);
    out.push(...lines.end());
    expect(out.join("")).toBe(`${"x".repeat(7)}***${"y".repeat(30)}***`);
    expect(out.every((part) => !part.includes("s3cr3t"))).toBe(true);
  });
});

/** A driver whose step (or check) prints `text` in the given pieces, mentions the secret everywhere it can, and fails. */
class ChattyDriver implements Driver {
  readonly id = "local";

  constructor(
    private readonly script: {
      pieces: string[];
      secret: string;
      fail: "step" | "check";
      /** Time for a terminal renderer to draw, in ms. @default 0 */
      pause?: number;
    },
  ) {}

  prepare() {
    return { warnings: [], errors: [] };
  }

  async resolve(parent: { ref: string }): Promise<ResolvedImage> {
    return { ref: parent.ref, id: sha(parent.ref) };
  }

  async inspect(): Promise<Artifact | undefined> {
    return undefined;
  }

  async bake(input: BakeLayerInput): Promise<Artifact> {
    const { layer, reporter } = input;
    const { secret } = this.script;
    for (const [step, planned] of layer.steps.entries()) {
      reporter.emit({ type: "step-started", layer: layer.name, step, title: planned.title });
      if (step === 0) {
        for (const piece of this.script.pieces) {
          reporter.emit({
            type: "output",
            stream: "stdout",
            line: piece,
            partial: true,
            layer: layer.name,
            step,
          });
        }
        reporter.emit({ type: "note", message: `warning: got ${secret}`, layer: layer.name });
        await this.pause();
      }
      if (this.script.fail === "step") {
        reporter.emit({
          type: "step-finished",
          layer: layer.name,
          step,
          ok: false,
          durationMs: 1,
          exitCode: 3,
        });
        throw new BuildFailedError({
          code: "step-failed",
          message: `the step exited with code 3: ${secret}`,
        });
      }
      reporter.emit({ type: "step-finished", layer: layer.name, step, ok: true, durationMs: 1, exitCode: 0 });
    }
    return { id: sha(`${input.parent.id}/${layer.name}`), driver: this.id };
  }

  async verify(input: VerifyInput): Promise<VerifyResult> {
    const { reporter } = input;
    const { secret } = this.script;
    const message = `expected ${secret} in the file`;
    reporter.emit({ type: "check-started", check: 0, name: "os-release" });
    for (const piece of this.script.pieces) {
      reporter.emit({ type: "output", stream: "stderr", line: piece, partial: true, check: 0 });
    }
    reporter.emit({ type: "check-attempt", check: 0, attempt: 1, ok: false, message });
    await this.pause();
    reporter.emit({
      type: "check-finished",
      check: 0,
      name: "os-release",
      ok: false,
      attempts: 1,
      durationMs: 1,
      message,
    });
    return { ok: false, checks: [{ name: "os-release", ok: false, attempts: 1, durationMs: 1, message }] };
  }

  private async pause(): Promise<void> {
    if (this.script.pause) await new Promise((resolve) => setTimeout(resolve, this.script.pause));
  }
}

function sink() {
  const chunks: string[] = [];
  return { out: { write: (text: string) => chunks.push(text) }, text: () => chunks.join("") };
}

/** Everything a build shows a person or a tool: plain lines, JSON lines (and the strings in them), the error. */
async function showBuild(
  script: ConstructorParameters<typeof ChattyDriver>[0],
): Promise<{ shown: string[]; printed: string[] }> {
  const secrets = { key: script.secret };
  const redact = createRedactor(secrets);
  const plain = sink();
  const json = sink();
  const now = () => new Date(0);
  const reporters: Reporter[] = [
    createPlainReporter({ out: plain.out, redact, now }),
    createJsonReporter({ out: json.out, redact, now }),
  ];
  const reporter: Reporter = {
    emit: (event) => {
      for (const each of reporters) each.emit(event);
    },
    close: async () => {},
  };
  const error = await execute(twoLayerPlan(), {
    driver: new ChattyDriver(script),
    manifest: new MemoryManifest(),
    reporter,
    signal: new AbortController().signal,
    secrets,
    cwd: "/r",
    env: {},
  }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof BakeError)) throw new Error(`expected the build to fail, got ${String(error)}`);
  const events = json
    .text()
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const strings = events
    .flatMap((event) => Object.values(event))
    .filter((value): value is string => typeof value === "string");
  // The lines shown for the output the driver wrote in pieces: of the runtime layer's first step, or of the check.
  const printed = events
    .filter((e) => e.type === "output" && (script.fail === "step" ? e.layer === "runtime" : e.check === 0))
    .map((e) => String(e.line));
  const shown = [
    plain.text().replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, ""),
    json.text(),
    ...strings,
    error.message,
    error.detail ?? "",
    error.hint ?? "",
  ];
  return { shown, printed };
}

/**
 * What a secret must never be shown as: the value (also without the newline a YAML block scalar ends it with),
 * and each line of four or more characters without its CR.
 */
function mustHide(secret: string): string[] {
  const lines = secret
    .split("\n")
    .map((line) => line.replace(/\r$/, ""))
    .filter((line) => [...line].length >= 4 && line.trim() !== "");
  return [secret, secret.replace(/[\r\n]+$/, ""), ...lines];
}

const line = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z0-9+/=]{4,64}$/),
);
const secretValue = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 6 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
  .map(([lines, eol, trailing]) => lines.join(eol) + (trailing ? eol : ""))
  // A secret of whitespace alone is not one a person can keep from printing (every indentation would match).
  .filter((value) => [...value].length >= 4 && value.trim() !== "");
// The step prints noise, the secret inside a line, and the secret again at the start of a line.
const printed = fc
  .tuple(
    secretValue,
    fc.string({ maxLength: 20 }),
    fc.string({ maxLength: 20 }),
    fc.array(fc.nat(), { maxLength: 12 }),
  )
  .map(([secret, before, after, cuts]) => {
    const text = `${before}${secret}${after}\n${secret}\nend\n`;
    const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
    const pieces = [0, ...points].map((start, index) => text.slice(start, [...points, text.length][index]));
    return { secret, pieces: pieces.filter((piece) => piece !== "") };
  });

// bake's own words ("layer", "failed", JSON keys...) can hold a short line of a random secret by chance.
async function furniture(fail: "step" | "check"): Promise<string> {
  return (await showBuild({ pieces: ["noise\n"], secret: "\u0000unused\u0000", fail })).shown.join("\n");
}

describe("redaction of build output", () => {
  it("never shows a secret value or any of its lines, however the step's output is cut, in plain, JSON or error output", async () => {
    const own = { step: await furniture("step"), check: await furniture("check") };
    await fc.assert(
      fc.asyncProperty(printed, fc.constantFrom("step" as const, "check" as const), async (input, fail) => {
        const hide = mustHide(input.secret);
        fc.pre(hide.every((form) => !own[fail].includes(form)));
        const { shown, printed } = await showBuild({ ...input, fail });
        for (const text of shown) for (const form of hide) expect(text).not.toContain(form);
        // Pieces are joined into the step's own lines before they are shown: one shown line per line printed.
        const redact = createRedactor({ key: input.secret });
        const lines = input.pieces.join("").split("\n").slice(0, -1);
        expect(printed).toEqual(lines.map((line) => redact(line.replace(/\r$/, ""))));
      }),
      { numRuns: 300 },
    );
  });
});

describe("redaction on a terminal", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("never shows a secret value or any of its lines in the listr2 view", async () => {
    const own = await furniture("step");
    await fc.assert(
      fc.asyncProperty(printed, fc.constantFrom("step" as const, "check" as const), async (input, fail) => {
        const hide = mustHide(input.secret);
        fc.pre(hide.every((form) => !own.includes(form)));
        const written: string[] = [];
        vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
          written.push(String(chunk));
          return true;
        });
        const secrets = { key: input.secret };
        const reporter = await createListrReporter({ redact: createRedactor(secrets), forceTTY: true });
        await execute(twoLayerPlan(), {
          driver: new ChattyDriver({ ...input, fail, pause: 120 }),
          manifest: new MemoryManifest(),
          reporter,
          signal: new AbortController().signal,
          secrets,
          cwd: "/r",
          env: {},
        }).catch(() => undefined);
        await reporter.close();
        vi.restoreAllMocks();
        const text = written.join("");
        expect(text).toContain("run: install");
        for (const form of hide) expect(text).not.toContain(form);
      }),
      { numRuns: 12 },
    );
  }, 60_000);
});

// One long line (no newline until the end) holding the secret's lines several times among noise.
const longLine = fc
  .tuple(
    secretValue,
    fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.nat()), { minLength: 2, maxLength: 10 }),
  )
  .chain(([secret, parts]) => {
    const lines = mustHide(secret).filter((form) => !form.includes("\n"));
    const text = `${parts.map(([noise, pick]) => noise + (lines.length ? lines[pick % lines.length] : "")).join("")}\n`;
    return fc.array(fc.nat({ max: text.length }), { maxLength: 16 }).map((cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const pieces = [0, ...points].map((start, index) => text.slice(start, [...points, text.length][index]));
      return { secret, pieces: pieces.filter((piece) => piece !== "") };
    });
  });

describe("secret lines, for any cut and any line length", () => {
  it("never lets out a secret or one of its lines, even from lines let out in parts", () => {
    fc.assert(
      fc.property(fc.oneof(printed, longLine), fc.integer({ min: 1, max: 40 }), (input, maxLine) => {
        const lines = new SecretLines(createRedactor({ key: input.secret }), { maxLine });
        const out = [...input.pieces.flatMap((piece) => lines.push(piece)), ...lines.end()];
        const hide = mustHide(input.secret);
        for (const line of out) for (const form of hide) expect(line).not.toContain(form);
        // The parts of one long line, read back to back, must not show a secret either: no cut goes through one.
        const text = input.pieces.join("");
        if (text.indexOf("\n") === text.length - 1) {
          for (const form of hide) expect(out.join("")).not.toContain(form);
        }
        // Every line the step ended is let out (a long one in parts), none held back.
        expect(out.length).toBeGreaterThanOrEqual(input.pieces.join("").split("\n").length - 1);
      }),
      { numRuns: 500 },
    );
  });
});
