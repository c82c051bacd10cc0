import { BakeError } from "../../errors.js";
import type { PackageInventory } from "../../inventory/types.js";
import type { BuildPlan } from "../../plan/types.js";
import type { TargetSpec } from "../../recipe/types.js";
import { BuilderInventories } from "../builder-inventories.js";
import type {
  Artifact,
  BakeLayerInput,
  Driver,
  DriverContext,
  InventoryInput,
  PrepareResult,
  ResolvedImage,
  ServerObservation,
  VerifyInput,
  VerifyResult,
} from "../driver.js";
import { bakeLayer } from "./bake.js";
import { type Compute, openCompute } from "./client.js";
import { GceFleet } from "./fleet.js";
import { type GceOptions, PROJECT_ENVS, parseGceOptions, ZONE_ENV } from "./options.js";
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

// Placeholders for calls whose resources name their own project and zone.
const ANY_SCOPE = { project: "bake-any-project", zone: "us-central1-a" };
const ANY_ZONE = { zone: "us-central1-a" };

export class GceDriver implements Driver {
  readonly id = "gce";
  private target: Record<string, unknown> = {};
  private readonly clients = new Map<string, Compute>();
  /** Managed instance groups and instance templates, in the target's project (every zone and region). */
  readonly fleet = new GceFleet((ctx) => this.session(ctx, { defaults: ANY_ZONE }));
  private readonly inventories = new BuilderInventories();

  prepare(target: TargetSpec, plan?: Pick<BuildPlan, "config">): PrepareResult {
    this.target = target.options;
    const { warnings, errors } = parseGceOptions(target.options);
    // A VM image has no container runtime config: its services start from the OS's init, which layers set up.
    if (plan?.config !== undefined) {
      warnings.push(
        "config: gce images have no container runtime config, so entrypoint, cmd, env, workdir, user, exposedPorts, stopSignal and labels are not applied; start services from the OS's init in a layer step",
      );
    }
    return { warnings, errors };
  }

  resolve(parent: Parameters<Driver["resolve"]>[0], ctx: DriverContext): Promise<ResolvedImage> {
    return resolveImage(parent, this.session(ctx, { defaults: ANY_SCOPE }));
  }

  inspect(artifactId: string, ctx: DriverContext): Promise<Artifact | undefined> {
    return inspectImage(artifactId, this.session(ctx, { defaults: ANY_SCOPE }));
  }

  bake(input: BakeLayerInput): Promise<Artifact> {
    return bakeLayer(input, this.session(input, { options: input.plan.target.options }), this.inventories);
  }

  /** The packages the last layer's builder reported on its serial port for this image. */
  async inventory(input: InventoryInput): Promise<PackageInventory> {
    return this.inventories.get(input.image.id);
  }

  verify(input: VerifyInput): Promise<VerifyResult> {
    return verifyImage(input, this.session(input, { options: input.plan.target.options }));
  }

  servers(ctx: DriverContext): AsyncIterable<ServerObservation> {
    return listServers(this.session(ctx, { defaults: ANY_ZONE }));
  }

  /**
   * A session for a target's options (the recipe's, else those given to `prepare`, else the environment's).
   * `defaults` fill what a call does not need: resolve names its own project, gc and fleet span every zone.
   */
  session(
    ctx: DriverContext,
    how: { options?: Record<string, unknown>; defaults?: Record<string, string> },
  ): GceSession {
    const raw = how.options ?? this.target;
    let parsed = parseGceOptions(raw, ctx.env);
    if (!parsed.options && how.defaults) {
      const filled = { ...raw };
      for (const [key, value] of Object.entries(how.defaults)) {
        if (
          filled[key] === undefined &&
          !(key === "project" ? PROJECT_ENVS.some((name) => ctx.env[name]) : ctx.env[ZONE_ENV])
        ) {
          filled[key] = value;
        }
      }
      parsed = parseGceOptions(filled, ctx.env);
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
