import { createRequire } from "node:module";
import type {
  DisksClient,
  GlobalOperationsClient,
  ImagesClient,
  InstanceGroupManagersClient,
  InstancesClient,
  InstanceTemplatesClient,
  RegionInstanceGroupManagersClient,
  RegionOperationsClient,
  ZoneOperationsClient,
} from "@google-cloud/compute";
import { BakeError } from "../../errors.js";

/** The Compute Engine clients the driver uses, all on one endpoint and one credential. */
export interface Compute {
  instances: InstancesClient;
  disks: DisksClient;
  images: ImagesClient;
  zoneOperations: ZoneOperationsClient;
  globalOperations: GlobalOperationsClient;
  instanceTemplates: InstanceTemplatesClient;
  instanceGroupManagers: InstanceGroupManagersClient;
  regionInstanceGroupManagers: RegionInstanceGroupManagersClient;
  regionOperations: RegionOperationsClient;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** What to run when the Google client is missing; the error says exactly this. */
export const INSTALL_COMPUTE = "npm install @google-cloud/compute@6";

// `@google-cloud/compute` is an optional peer dependency (about 100 MB that only the gce driver needs). Its own
// dependencies (google-gax, google-auth-library) are resolved from where it is installed, not from bake.
function computeRequire(): NodeJS.Require {
  let entry: string;
  try {
    entry = require.resolve("@google-cloud/compute");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    throw new BakeError({
      code: "gce-client-missing",
      message: `the gce driver needs @google-cloud/compute, which is not installed: ${INSTALL_COMPUTE}`,
      hint: `run \`${INSTALL_COMPUTE}\` in the project that installs bake (it is an optional peer dependency)`,
      cause: error,
    });
  }
  return createRequire(entry);
}

/**
 * Creates the clients, loading `@google-cloud/compute` only now: the package index loads every client and
 * gRPC (seconds), so each client is required on its own with google-gax's REST-only build.
 * Production uses Application Default Credentials; an endpoint override (a local server) uses no credentials.
 */
export function openCompute(options: { endpoint?: string }): Compute {
  const fromCompute = computeRequire();
  const gax = fromCompute("google-gax/fallback");
  const settings: Record<string, unknown> = { fallback: true };
  if (options.endpoint !== undefined) {
    const url = new URL(options.endpoint);
    const fromGax = createRequire(fromCompute.resolve("google-gax/fallback"));
    const { PassThroughClient } = fromGax("google-auth-library") as { PassThroughClient: new () => unknown };
    settings.apiEndpoint = url.hostname;
    settings.port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
    settings.protocol = url.protocol.replace(":", "");
    settings.authClient = new PassThroughClient();
  }
  const load = <T>(file: string, name: string): T => {
    const Client = fromCompute(`./v1/${file}`)[name];
    return new Client({ ...settings }, gax) as T;
  };
  const compute = {
    instances: load<InstancesClient>("instances_client.js", "InstancesClient"),
    disks: load<DisksClient>("disks_client.js", "DisksClient"),
    images: load<ImagesClient>("images_client.js", "ImagesClient"),
    zoneOperations: load<ZoneOperationsClient>("zone_operations_client.js", "ZoneOperationsClient"),
    globalOperations: load<GlobalOperationsClient>("global_operations_client.js", "GlobalOperationsClient"),
  };
  // The fleet's clients are made on first use: builds, gc and trace never pay for them.
  const lazy = new Map<string, { close(): Promise<void> }>();
  const once = <T extends { close(): Promise<void> }>(file: string, name: string): T => {
    let client = lazy.get(name) as T | undefined;
    if (!client) {
      client = load<T>(file, name);
      lazy.set(name, client);
    }
    return client;
  };
  return {
    ...compute,
    get instanceTemplates() {
      return once<InstanceTemplatesClient>("instance_templates_client.js", "InstanceTemplatesClient");
    },
    get instanceGroupManagers() {
      return once<InstanceGroupManagersClient>(
        "instance_group_managers_client.js",
        "InstanceGroupManagersClient",
      );
    },
    get regionInstanceGroupManagers() {
      return once<RegionInstanceGroupManagersClient>(
        "region_instance_group_managers_client.js",
        "RegionInstanceGroupManagersClient",
      );
    },
    get regionOperations() {
      return once<RegionOperationsClient>("region_operations_client.js", "RegionOperationsClient");
    },
    async close() {
      await Promise.all([...Object.values(compute), ...lazy.values()].map((client) => client.close()));
    },
  };
}
