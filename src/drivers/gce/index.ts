import { BakeError } from "../../errors.js";
import type { TargetSpec } from "../../recipe/types.js";
import type {
  Artifact,
  BakeLayerInput,
  Driver,
  DriverContext,
  PrepareResult,
  ResolvedImage,
  ServerObservation,
  VerifyInput,
  VerifyResult,
} from "../driver.js";
import { bakeLayer } from "./bake.js";
import { type Compute, openCompute } from "./client.js";
import { type GceOptions, parseGceOptions } from "./options.js";
import { inspectImage, resolveImage } from "./resolve.js";
import { listServers } from "./servers.js";
import { GceSession } from "./session.js";
import { verifyImage } from "./verify.js";

/**
 * The Compute Engine driver: builds images natively through `@google-cloud/compute` (loaded only when a gce
 * command runs), with Application Default Credentials, or no credentials when `BAKE_GCE_ENDPOINT` points
 * at a local server.
 */
export function createDriver(): Driver {
  return new GceDriver();
}

export class GceDriver implements Driver {
  readonly id = "gce";
  private target: Record<string, unknown> = {};
  private readonly clients = new Map<string, Compute>();

  prepare(target: TargetSpec): PrepareResult {
    this.target = target.options;
    const { warnings, errors } = parseGceOptions(target.options);
    return { warnings, errors };
  }

  resolve(parent: Parameters<Driver["resolve"]>[0], ctx: DriverContext): Promise<ResolvedImage> {
    return resolveImage(parent, this.session(ctx, { lenient: true }));
  }

  inspect(artifactId: string, ctx: DriverContext): Promise<Artifact | undefined> {
    return inspectImage(artifactId, this.session(ctx, { lenient: true }));
  }

  bake(input: BakeLayerInput): Promise<Artifact> {
    return bakeLayer(input, this.session(input, { options: input.plan.target.options }));
  }

  verify(input: VerifyInput): Promise<VerifyResult> {
    return verifyImage(input, this.session(input, { options: input.plan.target.options }));
  }

  servers(ctx: DriverContext): AsyncIterable<ServerObservation> {
    return listServers(this.session(ctx, {}));
  }

  /** A session for a target's options; `lenient` calls (resolve, inspect) need no project or zone of their own. */
  session(ctx: DriverContext, how: { options?: Record<string, unknown>; lenient?: boolean }): GceSession {
    const raw = how.options ?? this.target;
    let parsed = parseGceOptions(raw, ctx.env);
    if (!parsed.options && how.lenient) {
      parsed = parseGceOptions({ project: "bake-resolve", zone: "us-central1-a", ...raw }, ctx.env);
    }
    if (!parsed.options) {
      throw new BakeError({
        code: "target-invalid",
        message: "the gce target options are invalid",
        detail: parsed.errors.map((error) => `  - ${error}`).join("\n"),
        hint: "set target options in the recipe, or BAKE_GCE_PROJECT and BAKE_GCE_ZONE for commands without one",
      });
    }
    return new GceSession(parsed.options, this.compute(parsed.options), ctx.signal);
  }

  private compute(options: GceOptions): Compute {
    const key = options.endpoint ?? "default";
    let compute = this.clients.get(key);
    if (!compute) {
      compute = openCompute(options.endpoint === undefined ? {} : { endpoint: options.endpoint });
      this.clients.set(key, compute);
    }
    return compute;
  }

  /** Closes the clients' connections. */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((compute) => compute.close()));
    this.clients.clear();
  }
}

/** The gce options a command without a recipe uses: from the environment (`BAKE_GCE_PROJECT`, ...). */
export type { GceOptions };
