import { createHash } from "node:crypto";
import type {
  Artifact,
  BakeLayerInput,
  Driver,
  ResolvedImage,
  VerifyInput,
  VerifyResult,
} from "../../src/drivers/driver.js";
import type { BuildEvent, Reporter } from "../../src/drivers/events.js";
import { BakeError, BuildFailedError } from "../../src/errors.js";
import type { ImageRecord, NewRecord } from "../../src/manifest/types.js";
import { revealEnv } from "../../src/plan/secrets.js";
import type { BuildPlan, PlannedLayer } from "../../src/plan/types.js";
import type { RunnerManifest } from "../../src/run/manifest-port.js";

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/** A driver that records every call, bakes deterministic artifacts and fails where a test says. */
export class RecordingDriver implements Driver {
  readonly id = "local";
  readonly calls: string[] = [];
  readonly artifacts = new Set<string>();
  /** `layer:step` (0-based) that fails, with its output. */
  failStep: { layer: string; step: number; output: string[]; timeout?: boolean } | undefined;
  verifyResult: VerifyResult = { ok: true, checks: [] };
  /** Set to make `bake` wait until the signal aborts. */
  hangIn: string | undefined;
  envSeen: Record<string, string>[] = [];

  prepare() {
    return { warnings: [], errors: [] };
  }

  async resolve(parent: { ref: string }): Promise<ResolvedImage> {
    this.calls.push(`resolve ${parent.ref}`);
    const id = sha(`base:${parent.ref}`);
    this.artifacts.add(id);
    return { ref: parent.ref, id };
  }

  async inspect(artifactId: string): Promise<Artifact | undefined> {
    this.calls.push(`inspect ${artifactId.slice(0, 15)}`);
    return this.artifacts.has(artifactId) ? { id: artifactId, driver: this.id } : undefined;
  }

  async bake(input: BakeLayerInput): Promise<Artifact> {
    this.calls.push(`bake ${input.layer.name}`);
    const layer: PlannedLayer = input.layer;
    for (const [step, planned] of layer.steps.entries()) {
      input.reporter.emit({ type: "step-started", layer: layer.name, step, title: planned.title });
      if (planned.kind === "run") this.envSeen.push(revealEnv(planned.env, input.secrets));
      if (this.hangIn === layer.name) {
        await new Promise((_resolve, reject) => {
          input.signal.addEventListener("abort", () => reject(new Error("sandbox killed")), { once: true });
        });
      }
      if (this.failStep?.layer === layer.name && this.failStep.step === step) {
        for (const line of this.failStep.output) {
          input.reporter.emit({ type: "output", stream: "stderr", line, layer: layer.name, step });
        }
        input.reporter.emit({
          type: "step-finished",
          layer: layer.name,
          step,
          ok: false,
          durationMs: 1,
          exitCode: 3,
        });
        if (this.failStep.timeout) {
          throw new BakeError({ code: "step-timeout", message: "timed out after 5s", exitCode: 1 });
        }
        throw new BuildFailedError({ code: "step-failed", message: "the step exited with status 3" });
      }
      input.reporter.emit({
        type: "step-finished",
        layer: layer.name,
        step,
        ok: true,
        durationMs: 1,
        exitCode: 0,
      });
    }
    const id = sha(`${input.parent.id}\n${layer.inputsDigest}`);
    this.artifacts.add(id);
    return { id, driver: this.id };
  }

  async verify(input: VerifyInput): Promise<VerifyResult> {
    this.calls.push(`verify ${input.image.id.slice(0, 15)}`);
    return this.verifyResult;
  }
}

/** An in-memory manifest with the runner's view of the real one. */
export class MemoryManifest implements RunnerManifest {
  readonly list: ImageRecord[] = [];
  readonly revoked = new Set<string>();
  readonly deprecated = new Set<string>();

  records(): readonly ImageRecord[] {
    return this.list;
  }

  resolve(ref: string): ImageRecord {
    const [lineage, selector] = ref.split("@");
    const images = this.list.filter(
      (r) => r.kind === "image" && r.lineage === lineage && (!selector || r.version === selector),
    );
    const found = images.at(-1);
    if (!found) throw new BakeError({ code: "ref-not-found", message: `no image matches "${ref}"` });
    return found;
  }

  findLayer(cacheKey: string, driver: string): ImageRecord | undefined {
    return this.list
      .filter((r) => r.kind === "layer" && r.layer?.cacheKey === cacheKey && r.driver === driver)
      .at(-1);
  }

  async register(input: NewRecord): Promise<ImageRecord> {
    const build =
      input.kind === "image"
        ? this.list.filter((r) => r.kind === "image" && r.lineage === input.lineage).length + 1
        : undefined;
    const record: ImageRecord = {
      ...structuredClone(input),
      type: "record",
      id: sha(`${this.list.length}:${JSON.stringify(input)}`),
      prev: "",
      ...(build === undefined ? {} : { build }),
      createdAt: new Date().toISOString(),
      bakeVersion: "0.0.0",
    };
    this.list.push(record);
    return record;
  }

  status(id: string) {
    if (this.revoked.has(id)) return { status: "revoked" as const, reason: "CVE" };
    if (this.deprecated.has(id)) return { status: "deprecated" as const, reason: "old" };
    return { status: "active" as const };
  }
}

/** Collects events. */
export class EventLog implements Reporter {
  readonly events: BuildEvent[] = [];
  emit(event: BuildEvent) {
    this.events.push(event);
  }
  async close() {}
  ofType<T extends BuildEvent["type"]>(type: T): Extract<BuildEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<BuildEvent, { type: T }> => e.type === type);
  }
}

/** A two-layer plan on an external base; `app` digests change with `appInput`. */
export function twoLayerPlan(
  options: { appInput?: string; runtimeInput?: string; parent?: BuildPlan["parent"] } = {},
): BuildPlan {
  const runStep = (title: string, script: string) => ({ kind: "run" as const, title, script, env: {} });
  return {
    apiVersion: "bake/plan/v1",
    lineage: "web",
    version: "1.0.0",
    recipe: { file: "/r/recipe.yaml", root: "/r", digest: sha("recipe") },
    parent: options.parent ?? { kind: "external", ref: "dir:/rootfs", scheme: "dir", location: "/rootfs" },
    target: { driver: "local", options: {} },
    layers: [
      {
        name: "runtime",
        inputsDigest: sha(`runtime:${options.runtimeInput ?? "1"}`),
        steps: [runStep("run: install", "true")],
      },
      {
        name: "app",
        inputsDigest: sha(`app:${options.appInput ?? "1"}`),
        steps: [
          runStep("run: build", "true"),
          {
            kind: "run",
            title: "run: token",
            script: 'echo "$TOKEN"',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a plan's secret template, not JS interpolation.
            env: { TOKEN: { secret: "${vars.token}" } },
          },
        ],
      },
    ],
    verify: [
      {
        kind: "file",
        path: "/etc/os-release",
        exists: true,
        name: "os-release",
        retries: 0,
        intervalMs: 1000,
        timeoutMs: 30000,
      },
    ],
    labels: { team: "heroes" },
    vars: {},
    secrets: ["token"],
  };
}
