import { LABEL } from "./labels.js";
import { PAGED } from "./servers.js";
import type { GceSession } from "./session.js";

/** One temporary resource a run left behind. */
export interface Leftover {
  kind: "instance" | "disk";
  name: string;
  zone: string;
  runId: string;
  createdAt: string;
}

/** What `bake gc --target gce` found and removed. */
export interface GceGcReport {
  project: string;
  olderThanMs: number;
  dryRun: boolean;
  removed: Leftover[];
  failed: { resource: Leftover; error: string }[];
}

/**
 * Finds the instances and disks labelled with a bake run id (in every zone of the project) created more than
 * `olderThanMs` ago, and deletes them: instances first (their boot disks go with them), then the disks left.
 */
export async function collectGce(
  session: GceSession,
  options: { olderThanMs: number; dryRun: boolean; now?: number },
): Promise<GceGcReport> {
  const project = session.options.project;
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  const filter = `labels.${LABEL.run}:*`;
  const [instances, disks] = await Promise.all([
    session.list("instances.aggregatedList", () =>
      session.compute.instances.aggregatedListAsync({ project, filter, returnPartialSuccess: true }, PAGED),
    ),
    session.list("disks.aggregatedList", () =>
      session.compute.disks.aggregatedListAsync({ project, filter, returnPartialSuccess: true }, PAGED),
    ),
  ]);
  const pick = (
    kind: Leftover["kind"],
    resource: {
      name?: string | null;
      zone?: string | null;
      labels?: Record<string, string> | null;
      creationTimestamp?: string | null;
    },
  ): Leftover | undefined => {
    const runId = resource.labels?.[LABEL.run];
    const createdAt = String(resource.creationTimestamp ?? "");
    if (!runId || !resource.name || Date.parse(createdAt) > cutoff) return undefined;
    return {
      kind,
      name: resource.name,
      zone:
        String(resource.zone ?? "")
          .split("/")
          .pop() ?? "",
      runId,
      createdAt,
    };
  };
  const oldInstances = instances
    .flatMap(([, scoped]) => scoped.instances ?? [])
    .map((instance) => pick("instance", instance))
    .filter((r): r is Leftover => r !== undefined);
  const oldDisks = disks
    .flatMap(([, scoped]) => scoped.disks ?? [])
    .map((disk) => pick("disk", disk))
    .filter((r): r is Leftover => r !== undefined);
  const report: GceGcReport = {
    project,
    olderThanMs: options.olderThanMs,
    dryRun: options.dryRun,
    removed: [],
    failed: [],
  };
  for (const resource of [...oldInstances, ...oldDisks]) {
    if (options.dryRun) {
      report.removed.push(resource);
      continue;
    }
    try {
      if (resource.kind === "instance") await session.deleteInstance(resource.name, resource.zone);
      else await session.deleteDisk(resource.name, resource.zone);
      report.removed.push(resource);
    } catch (error) {
      report.failed.push({ resource, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}
