/** Self links use the real API's base URL, as Compute Engine returns them whatever endpoint was called. */
export const API_BASE = "https://www.googleapis.com/compute/v1/";

export type DeprecationState = "ACTIVE" | "DEPRECATED" | "OBSOLETE" | "DELETED";

export interface FakeImage {
  kind: "image";
  project: string;
  name: string;
  id: string;
  family?: string;
  description?: string;
  labels: Record<string, string>;
  labelFingerprint: string;
  status: "PENDING" | "READY";
  deprecated?: { state: DeprecationState; replacement?: string };
  storageLocations: string[];
  diskSizeGb: number;
  sourceDisk?: string;
  sourceDiskId?: string;
  creationTimestamp: string;
  /** Root filesystem layers, top first: what a disk made from this image contains. */
  layers: string[];
}

export interface FakeDisk {
  kind: "disk";
  project: string;
  zone: string;
  name: string;
  id: string;
  sizeGb: number;
  type: string;
  sourceImage: string;
  sourceImageId: string;
  labels: Record<string, string>;
  labelFingerprint: string;
  /** Self links of the instances using the disk. */
  users: string[];
  creationTimestamp: string;
  /** The image's layers below, and this disk's own writes on top. */
  lowerDirs: string[];
  upperDir: string;
}

export interface FakeInstance {
  kind: "instance";
  project: string;
  zone: string;
  name: string;
  id: string;
  machineType: string;
  status: "PROVISIONING" | "STAGING" | "RUNNING" | "STOPPING" | "TERMINATED";
  labels: Record<string, string>;
  labelFingerprint: string;
  metadataFingerprint: string;
  metadata: { key: string; value: string }[];
  scheduling: Record<string, unknown>;
  disks: { source: string; deviceName: string; boot: boolean; autoDelete: boolean }[];
  networkInterfaces: unknown[];
  serviceAccounts: unknown[];
  creationTimestamp: string;
  serial: Buffer;
  /** Stops the guest (its startup script) when the instance stops or goes away. */
  guest?: AbortController;
  /** Set when the startup script finished, with its exit code. */
  scriptExit?: number;
}

export interface FakeOperation {
  project: string;
  zone?: string;
  region?: string;
  name: string;
  id: string;
  operationType: string;
  targetLink: string;
  targetId: string;
  status: "PENDING" | "RUNNING" | "DONE";
  insertTime: string;
  startTime: string;
  endTime?: string;
  error?: { errors: { code: string; message: string }[] };
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
  /** Resolves waiters when the operation is DONE. */
  done: Promise<void>;
}

export function zoneLink(project: string, zone: string): string {
  return `${API_BASE}projects/${project}/zones/${zone}`;
}

export function instanceLink(i: { project: string; zone: string; name: string }): string {
  return `${zoneLink(i.project, i.zone)}/instances/${i.name}`;
}

export function diskLink(d: { project: string; zone: string; name: string }): string {
  return `${zoneLink(d.project, d.zone)}/disks/${d.name}`;
}

export function imageLink(i: { project: string; name: string }): string {
  return `${API_BASE}projects/${i.project}/global/images/${i.name}`;
}

/** The JSON Compute Engine returns for an image. */
export function imageJson(image: FakeImage): Record<string, unknown> {
  const { layers: _layers, kind: _kind, project: _project, ...rest } = image;
  return { kind: "compute#image", ...rest, sourceType: "RAW", selfLink: imageLink(image) };
}

export function diskJson(disk: FakeDisk): Record<string, unknown> {
  return {
    kind: "compute#disk",
    id: disk.id,
    name: disk.name,
    zone: zoneLink(disk.project, disk.zone),
    sizeGb: String(disk.sizeGb),
    type: `${zoneLink(disk.project, disk.zone)}/diskTypes/${disk.type}`,
    sourceImage: disk.sourceImage,
    sourceImageId: disk.sourceImageId,
    status: "READY",
    users: disk.users,
    labels: disk.labels,
    labelFingerprint: disk.labelFingerprint,
    creationTimestamp: disk.creationTimestamp,
    selfLink: diskLink(disk),
  };
}

export function instanceJson(instance: FakeInstance): Record<string, unknown> {
  return {
    kind: "compute#instance",
    id: instance.id,
    name: instance.name,
    zone: zoneLink(instance.project, instance.zone),
    machineType: `${zoneLink(instance.project, instance.zone)}/machineTypes/${instance.machineType}`,
    status: instance.status,
    labels: instance.labels,
    labelFingerprint: instance.labelFingerprint,
    metadata: {
      kind: "compute#metadata",
      fingerprint: instance.metadataFingerprint,
      items: instance.metadata,
    },
    scheduling: instance.scheduling,
    disks: instance.disks.map((disk, index) => ({
      kind: "compute#attachedDisk",
      type: "PERSISTENT",
      mode: "READ_WRITE",
      index,
      ...disk,
    })),
    networkInterfaces: instance.networkInterfaces,
    serviceAccounts: instance.serviceAccounts,
    creationTimestamp: instance.creationTimestamp,
    selfLink: instanceLink(instance),
  };
}

export function operationJson(op: FakeOperation): Record<string, unknown> {
  const { done: _done, project, zone, region, ...rest } = op;
  const scope = zone
    ? `${zoneLink(project, zone)}`
    : region
      ? `${API_BASE}projects/${project}/regions/${region}`
      : `${API_BASE}projects/${project}/global`;
  return {
    kind: "compute#operation",
    ...rest,
    progress: op.status === "DONE" ? 100 : 0,
    user: "bake-tests@example.iam.gserviceaccount.com",
    ...(zone ? { zone: scope } : {}),
    ...(region ? { region: scope } : {}),
    selfLink: `${scope}/operations/${op.name}`,
  };
}
