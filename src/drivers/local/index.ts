import type { TargetSpec } from "../../recipe/types.js";
import type { Artifact, Driver, DriverContext } from "../driver.js";
import { sourceDateEpoch } from "./epoch.js";
import { isDigest } from "./oci.js";
import { checkOptions, type LocalOptions, readOptions, storePath } from "./options.js";
import { Store } from "./store.js";
import { rememberManifest } from "./store-manifests.js";

export type { SandboxBind, SandboxOptions, SandboxResult } from "./sandbox.js";

/**
 * The embedded default driver: OCI images in a local store, layers baked in rootless sandboxes (user, mount and
 * pid namespaces with overlayfs), verified in fresh sandboxes from the new image alone.
 */
export function createDriver(): Driver {
  // Every store it opens is leased by this process until it exits (see lease.ts), so gc spares a build in progress.
  // prepare() sees the target options; resolve() and inspect() only get a context, so remember the store option.
  let prepared: LocalOptions = { network: "host" };
  // Only inspect() is loaded up front: a build with nothing to do calls nothing else (or resolve() of an unchanged
  // base), so baking, verifying and importing load on first use.
  // A store is opened (its directories made, its lease taken) once per directory: a build resolves, inspects and
  // bakes in the same one.
  const stores = new Map<string, Promise<Store>>();
  const openStore = (options: LocalOptions, ctx: Pick<DriverContext, "cwd" | "env">) => {
    const root = storePath({ option: options.store, env: ctx.env, cwd: ctx.cwd });
    let store = stores.get(root);
    if (store === undefined) {
      store = Store.open(root, { lease: true });
      stores.set(root, store);
      // A failed open (say, a read-only directory) is tried again by the next caller, not remembered.
      store.catch(() => stores.delete(root));
    }
    return store;
  };
  return {
    id: "local",
    prepare(target: TargetSpec) {
      const result = checkOptions(target.options);
      if (result.errors.length === 0) prepared = readOptions(target.options);
      return result;
    },
    async resolve(parent, ctx) {
      const store = await openStore(prepared, ctx);
      const { resolveBase } = await import("./bases.js");
      return resolveBase({
        parent,
        store,
        mapping: store.mapping,
        runId: runIdOf(ctx),
        epoch: sourceDateEpoch(ctx.env),
        env: ctx.env,
        signal: ctx.signal,
        reporter: ctx.reporter,
        ...(prepared.platform ? { platform: prepared.platform } : {}),
        onImport: (message) => ctx.reporter.emit({ type: "note", message }),
      });
    },
    async recordsIn(location, ctx) {
      const store = await openStore(prepared, ctx);
      rememberManifest(store.root, location);
    },
    async inspect(artifactId, ctx): Promise<Artifact | undefined> {
      if (!isDigest(artifactId)) return undefined;
      const store = await openStore(prepared, ctx);
      await store.hold(artifactId);
      const image = await store.image(artifactId);
      return image ? { id: artifactId, driver: "local", details: { store: store.root } } : undefined;
    },
    async bake(input) {
      const options = readOptions(input.plan.target.options);
      const store = await openStore(options, input);
      const { bakeLayer } = await import("./bake-layer.js");
      return bakeLayer({ ...input, store, network: options.network });
    },
    async verify(input) {
      const options = readOptions(input.plan.target.options);
      const store = await openStore(options, input);
      const { verifyImage } = await import("./verify.js");
      return verifyImage({ ...input, store, network: options.network });
    },
    async push(input) {
      const store = await openStore(readOptions(input.options ?? {}), input);
      // Loaded when pushing: a build that publishes nothing never needs skopeo's runner.
      const { pushImage } = await import("./registry/push.js");
      return pushImage({
        store,
        image: input.image,
        destination: input.destination,
        env: input.env,
        signal: input.signal,
        ...(input.authFile ? { authFile: input.authFile } : {}),
        ...(input.credentials ? { credentials: input.credentials } : {}),
      });
    },
    async inventory(input) {
      const store = await openStore(readOptions(input.plan.target.options), input);
      // Loaded when an inventory is taken: package parsing and package URLs are not needed to build.
      const { localInventory } = await import("./inventory.js");
      return localInventory({ ...input, store });
    },
  };
}

function runIdOf(ctx: DriverContext): string {
  return ctx.env.BAKE_RUN_ID ?? `resolve-${process.pid}`;
}
