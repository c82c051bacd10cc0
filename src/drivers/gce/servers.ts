import type { ServerObservation } from "../driver.js";
import { formatImageId, imagePath } from "./image-ref.js";
import { LABEL } from "./labels.js";
import type { Disk, GceSession, Instance } from "./session.js";

/** Listing calls page by themselves; this turns off the client's auto-pagination warning. */
export const PAGED = { autoPaginate: false } as const;

/**
 * Every instance of the project (all zones) and the exact image its boot disk was made from, as
 * `projects/P/global/images/NAME@ID` (the artifact ids bake records). bake's own temporary instances are skipped.
 */
export async function* listServers(session: GceSession): AsyncIterable<ServerObservation> {
  const project = session.options.project;
  const [instances, disks] = await Promise.all([
    session.list("instances.aggregatedList", () =>
      session.compute.instances.aggregatedListAsync({ project, returnPartialSuccess: true }, PAGED),
    ),
    session.list("disks.aggregatedList", () =>
      session.compute.disks.aggregatedListAsync({ project, returnPartialSuccess: true }, PAGED),
    ),
  ]);
  const diskByLink = new Map<string, Disk>();
  for (const [, scoped] of disks)
    for (const disk of scoped.disks ?? []) if (disk.selfLink) diskByLink.set(disk.selfLink, disk);
  const all: Instance[] = instances.flatMap(([, scoped]) => scoped.instances ?? []);
  all.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  for (const instance of all) {
    if (instance.labels?.[LABEL.run]) continue;
    const boot = instance.disks?.find((disk) => disk.boot) ?? instance.disks?.[0];
    const disk = boot?.source ? diskByLink.get(boot.source) : undefined;
    const zone =
      String(instance.zone ?? "")
        .split("/")
        .pop() ?? "";
    const details: Record<string, string> = { zone, status: String(instance.status ?? "") };
    if (disk?.name) details.disk = disk.name;
    const address = instance.networkInterfaces?.[0]?.networkIP;
    if (address) details.address = address;
    if (disk?.sourceImage) details.sourceImage = imagePath(disk.sourceImage);
    const image =
      disk?.sourceImage && disk.sourceImageId
        ? exactImage(disk.sourceImage, disk.sourceImageId)
        : disk?.sourceImage
          ? imagePath(disk.sourceImage)
          : "";
    yield { server: String(instance.name), image, details };
  }
}

function exactImage(sourceImage: string, sourceImageId: string): string {
  const match = /^projects\/([^/]+)\/global\/images\/([^/]+)$/.exec(imagePath(sourceImage));
  if (!match) return imagePath(sourceImage);
  return formatImageId({ project: match[1] as string, name: match[2] as string, numericId: sourceImageId });
}
