import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Fault, FaultBook } from "./faults.js";
import { matchesFilter } from "./filter.js";
import {
  type FakeGroup,
  type FakeTemplate,
  type FixedOrPercent,
  GroupSimulator,
  groupJson,
  memberJson,
  templateJson,
  templateLink,
} from "./groups.js";
import { type GuestRunner, sandboxGuest } from "./guest.js";
import {
  API_BASE,
  diskJson,
  diskLink,
  type FakeDisk,
  type FakeImage,
  type FakeInstance,
  type FakeOperation,
  imageJson,
  imageLink,
  instanceJson,
  instanceLink,
  operationJson,
} from "./resources.js";
import { makeBaseRootfs } from "./rootfs.js";

const execFileAsync = promisify(execFile);

/** Options for {@link FakeCompute.start}. */
export interface FakeComputeOptions {
  /** How long an operation runs before it is DONE. @default 40 */
  operationLatencyMs?: number;
  /** How long `wait` holds a request before answering with a still-running operation. @default 150 */
  waitTimeoutMs?: number;
  /** Runs startup scripts. @default the local driver's sandbox */
  guest?: GuestRunner;
  /** Real milliseconds per simulated second, for `maxRunDuration`. @default 1000 */
  msPerSecond?: number;
  /** How often managed instance groups move (create, verify, delete instances). @default 50 */
  groupTickMs?: number;
  /**
   * The internal address (`networkInterfaces[0].networkIP`) of a group's new instance, by the image it boots
   * from: a test maps instances to a loopback address where it serves, to stand in for the instance's service.
   * Undefined keeps the default, an unreachable `10.128.x.y`. @default () => undefined
   */
  instanceAddress?: (instance: { name: string; zone: string; image: FakeImage }) => string | undefined;
}

/** One request as the server saw it. */
export interface RecordedRequest {
  call: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Handled {
  status?: number;
  body: unknown;
}

interface Route {
  call: string;
  project: string;
  zone?: string;
  region?: string;
  name?: string;
  family?: string;
}

/**
 * A Compute Engine REST server on loopback for tests: the real `@google-cloud/compute` client talks to it.
 * It keeps real state (instances, disks, images, families, labels with fingerprints, operations that take time,
 * serial output, deprecation), runs startup scripts for real in a sandbox over each disk's overlay, and
 * injects faults on request.
 */
export class FakeCompute {
  readonly requests: RecordedRequest[] = [];
  readonly instances = new Map<string, FakeInstance>();
  readonly disks = new Map<string, FakeDisk>();
  readonly images = new Map<string, FakeImage>();
  readonly operations = new Map<string, FakeOperation>();
  private readonly faults = new FaultBook();
  private readonly byRequestId = new Map<string, FakeOperation>();
  private readonly guests = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private silent = false;
  private groupTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** Instance templates and managed instance groups, moved along by a timer. */
  readonly fleet: GroupSimulator;
  private clockOffsetMs = 0;
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly root: string,
    readonly baseRootfs: string,
    private readonly options: Required<FakeComputeOptions>,
  ) {
    this.fleet = new GroupSimulator({
      spawnInstance: (input) => this.spawnInstance(input),
      removeInstance: (instance) => this.removeInstance(instance),
      takeFault: (call) => this.faults.take(call),
      imageOf: (template) => this.templateImage(template),
      newId: () => this.newId(),
      now: () => this.now(),
    });
    this.groupTimer = setInterval(() => {
      // One tick at a time: a slow tick (deleting many instances) is never overlapped by the next.
      if (this.ticking) return;
      this.ticking = true;
      void this.fleet.tick().finally(() => {
        this.ticking = false;
      });
    }, options.groupTickMs);
    this.groupTimer.unref();
  }

  /** Starts the server on 127.0.0.1 (a random port) with one public base image, `debian-cloud/debian-12`. */
  static async start(options: FakeComputeOptions = {}): Promise<FakeCompute> {
    const root = await mkdtemp(join(tmpdir(), "fake-gce-"));
    const baseRootfs = join(root, "base-rootfs");
    await makeBaseRootfs(baseRootfs);
    const server = createServer();
    const fake = new FakeCompute(server, root, baseRootfs, {
      operationLatencyMs: options.operationLatencyMs ?? 40,
      waitTimeoutMs: options.waitTimeoutMs ?? 150,
      guest: options.guest ?? sandboxGuest,
      msPerSecond: options.msPerSecond ?? 1000,
      groupTickMs: options.groupTickMs ?? 50,
      instanceAddress: options.instanceAddress ?? (() => undefined),
    });
    server.on("request", (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake.addImage({ project: "debian-cloud", name: "debian-12-bookworm-v20260101", family: "debian-12" });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The value for `BAKE_GCE_ENDPOINT`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Makes the next matching calls fail (see {@link Fault}). */
  inject(fault: Fault): void {
    this.faults.add(fault);
  }

  /** Drops every fault not yet used. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** While on, instances boot but never run their startup script: it never signals. */
  silenceGuests(on = true): void {
    this.silent = on;
  }

  /** Live resources, for leak checks. */
  live(): { instances: number; disks: number; images: number } {
    return { instances: this.instances.size, disks: this.disks.size, images: this.images.size };
  }

  /** Live instance templates, for leak checks. */
  liveTemplates(): string[] {
    return [...this.fleet.templates.values()].map((t) => t.name).sort();
  }

  /** Adds an instance template whose boot disk is made from `image`, with the properties a real one carries. */
  addTemplate(input: {
    project: string;
    name: string;
    image: FakeImage;
    labels?: Record<string, string>;
  }): FakeTemplate {
    const template: FakeTemplate = {
      kind: "template",
      project: input.project,
      name: input.name,
      id: this.newId(),
      properties: {
        machineType: "e2-small",
        disks: [
          {
            type: "PERSISTENT",
            mode: "READ_WRITE",
            boot: true,
            autoDelete: true,
            deviceName: "boot",
            initializeParams: {
              sourceImage: imageLink(input.image).replace(API_BASE, ""),
              diskSizeGb: "10",
              diskType: "pd-balanced",
            },
          },
        ],
        networkInterfaces: [
          {
            network: `projects/${input.project}/global/networks/default`,
            accessConfigs: [{ name: "External NAT", type: "ONE_TO_ONE_NAT" }],
          },
        ],
        metadata: { items: [{ key: "app-env", value: "production" }] },
        serviceAccounts: [
          {
            email: "web@bake-test.iam.gserviceaccount.com",
            scopes: ["https://www.googleapis.com/auth/cloud-platform"],
          },
        ],
        labels: { team: "heroes", ...(input.labels ?? {}) },
        tags: { items: ["web", "http-server"] },
      },
      creationTimestamp: this.now(),
    };
    this.fleet.templates.set(`${template.project}/${template.name}`, template);
    return template;
  }

  /**
   * Adds a managed instance group of `size` running, healthy instances on `template`: zonal with `zone`, regional
   * (spread over the region's a, b and c zones) with `region`. Its autohealing health check is `healthCheck`.
   */
  addGroup(input: {
    project: string;
    name: string;
    template: FakeTemplate;
    size: number;
    zone?: string;
    region?: string;
    healthCheck?: string | false;
  }): FakeGroup {
    const zones = input.region ? ["a", "b", "c"].map((z) => `${input.region}-${z}`) : [input.zone as string];
    const group: FakeGroup = {
      kind: "group",
      project: input.project,
      name: input.name,
      id: this.newId(),
      ...(input.zone ? { zone: input.zone } : {}),
      ...(input.region ? { region: input.region } : {}),
      zones,
      baseInstanceName: input.name,
      targetSize: input.size,
      template: input.template.name,
      updatePolicy: {
        type: "OPPORTUNISTIC",
        minimalAction: "REPLACE",
        replacementMethod: "SUBSTITUTE",
        maxSurge: { fixed: zones.length },
        maxUnavailable: { fixed: zones.length },
      },
      ...(input.healthCheck === false ? {} : { healthCheck: input.healthCheck ?? "web-http" }),
      fingerprint: this.fingerprint(),
      creationTimestamp: this.now(),
      members: [],
      stalledTicks: 0,
      stats: { ticks: 0, minHealthy: input.size, maxInstances: input.size },
    };
    for (let i = 0; i < input.size; i++) {
      const member = this.fleet.addMember(group, input.template.name);
      this.fleet.materialize(group, member);
      member.action = "NONE";
      member.health = "HEALTHY";
    }
    this.fleet.groups.set(`${group.project}/${group.region ?? group.zone}/${group.name}`, group);
    return group;
  }

  /** A group by name. */
  group(name: string): FakeGroup {
    const found = [...this.fleet.groups.values()].find((g) => g.name === name);
    if (!found) throw new Error(`fake compute: no group ${name}`);
    return found;
  }

  /** Instances booted from this image never pass their group's health check. */
  unhealthyImage(name: string): void {
    this.fleet.unhealthyImages.add(name);
  }

  /** The group makes no progress for the next `ticks` ticks. */
  stallGroup(name: string, ticks: number): void {
    this.group(name).stalledTicks = ticks;
  }

  /** Makes everything that exists now look `ms` older (for `gc --older-than`). */
  backdate(ms: number): void {
    const shift = (r: { creationTimestamp: string }) => {
      r.creationTimestamp = new Date(Date.parse(r.creationTimestamp) - ms).toISOString();
    };
    for (const map of [this.instances, this.disks, this.images]) for (const r of map.values()) shift(r);
  }

  /** Adds a READY image (a public base image, or one a test pretends another tool made). */
  addImage(input: {
    project: string;
    name: string;
    family?: string;
    layers?: string[];
    labels?: Record<string, string>;
    deprecated?: FakeImage["deprecated"];
  }): FakeImage {
    const image: FakeImage = {
      kind: "image",
      project: input.project,
      name: input.name,
      id: this.newId(),
      labels: input.labels ?? {},
      labelFingerprint: this.fingerprint(),
      status: "READY",
      storageLocations: ["us"],
      diskSizeGb: 10,
      creationTimestamp: this.now(),
      layers: input.layers ?? [this.baseRootfs],
      ...(input.family ? { family: input.family } : {}),
      ...(input.deprecated ? { deprecated: input.deprecated } : {}),
    };
    this.images.set(`${image.project}/${image.name}`, image);
    return image;
  }

  /** Adds a running server booted from an image, as another tool (a managed instance group) would. */
  addServer(input: { project: string; zone: string; name: string; image: FakeImage }): FakeInstance {
    const disk = this.createDisk({
      project: input.project,
      zone: input.zone,
      name: input.name,
      image: input.image,
      labels: {},
      sizeGb: 10,
      type: "pd-balanced",
    });
    const instance: FakeInstance = {
      kind: "instance",
      project: input.project,
      zone: input.zone,
      name: input.name,
      id: this.newId(),
      machineType: "e2-small",
      status: "RUNNING",
      labels: {},
      labelFingerprint: this.fingerprint(),
      metadataFingerprint: this.fingerprint(),
      metadata: [],
      scheduling: {},
      disks: [{ source: diskLink(disk), deviceName: "persistent-disk-0", boot: true, autoDelete: true }],
      networkInterfaces: [],
      serviceAccounts: [],
      creationTimestamp: this.now(),
      serial: Buffer.alloc(0),
    };
    disk.users.push(instanceLink(instance));
    this.instances.set(this.zonalKey(input.project, input.zone, input.name), instance);
    return instance;
  }

  /** Resolves once `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error("fake compute: condition not met in time");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Serial port output of an instance, as text. */
  serialOf(name: string): string {
    const instance = [...this.instances.values()].find((i) => i.name === name);
    return instance?.serial.toString("utf8") ?? "";
  }

  /** Requests made to one call, such as `instances.insert`. */
  calls(call: string): RecordedRequest[] {
    return this.requests.filter((request) => request.call === call);
  }

  async close(): Promise<void> {
    clearInterval(this.groupTimer);
    for (const timer of this.timers) clearTimeout(timer);
    for (const instance of this.instances.values()) instance.guest?.abort();
    await Promise.allSettled([...this.guests]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.root, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams.entries());
    let raw = "";
    for await (const chunk of req) raw += chunk;
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const route = parseRoute(req.method ?? "GET", url.pathname);
    this.requests.push({
      call: route?.call ?? "unknown",
      method: req.method ?? "",
      path: url.pathname,
      query,
      body,
    });
    try {
      if (!route) throw new HttpError(404, "notFound", `The requested URL ${url.pathname} was not found.`);
      const fault = this.faults.take(route.call);
      if (fault === "quota") {
        throw new HttpError(
          403,
          "quotaExceeded",
          `Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1.`,
        );
      }
      if (fault === "server-error")
        throw new HttpError(503, "backendError", "Internal error. Please try again.");
      if (fault === "stale-fingerprint") this.changeLabelsBehindTheBack(route);
      const handled = await this.dispatch(route, { query, body, failOperation: fault === "operation-error" });
      if (fault === "lost-response")
        throw new HttpError(502, "backendError", "Bad gateway: the response was lost.");
      if (fault === "slow-response") await new Promise((resolve) => setTimeout(resolve, 500));
      res.writeHead(handled.status ?? 200, { "content-type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify(handled.body));
    } catch (error) {
      const e = error instanceof HttpError ? error : new HttpError(500, "internalError", String(error));
      res.writeHead(e.status, { "content-type": "application/json; charset=UTF-8" });
      res.end(
        JSON.stringify({
          error: {
            code: e.status,
            message: e.message,
            errors: [{ message: e.message, domain: "global", reason: e.reason }],
          },
        }),
      );
    }
  }

  private async dispatch(
    route: Route,
    request: { query: Record<string, string>; body: unknown; failOperation: boolean },
  ): Promise<Handled> {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const requestId = request.query.requestId;
    if (requestId) {
      const seen = this.byRequestId.get(`${route.call}:${requestId}`);
      if (seen) return { body: operationJson(seen) };
    }
    const remember = (op: FakeOperation): Handled => {
      if (requestId) this.byRequestId.set(`${route.call}:${requestId}`, op);
      return { body: operationJson(op) };
    };
    const { project, zone = "", name = "" } = route;
    switch (route.call) {
      case "instances.insert":
        return remember(this.insertInstance(project, zone, body, request.failOperation));
      case "instances.get":
        return { body: instanceJson(this.instance(project, zone, name)) };
      case "instances.list":
        return this.list(request.query, this.zonal(this.instances, project, zone).map(instanceJson));
      case "instances.aggregatedList":
        return this.aggregated(request.query, "instances", project, this.instances, instanceJson);
      case "instances.delete":
        return remember(this.deleteInstance(project, zone, name, request.failOperation));
      case "instances.stop":
        return remember(this.stopInstance(project, zone, name, request.failOperation));
      case "instances.getSerialPortOutput":
        return { body: this.serial(this.instance(project, zone, name), request.query) };
      case "instances.setLabels":
        return remember(this.setLabels(this.instance(project, zone, name), body, { project, zone }));
      case "instances.setMetadata":
        return remember(this.setMetadata(this.instance(project, zone, name), body));
      case "disks.get":
        return { body: diskJson(this.disk(project, zone, name)) };
      case "disks.list":
        return this.list(request.query, this.zonal(this.disks, project, zone).map(diskJson));
      case "disks.aggregatedList":
        return this.aggregated(request.query, "disks", project, this.disks, diskJson);
      case "disks.delete":
        return remember(this.deleteDisk(project, zone, name, request.failOperation));
      case "disks.setLabels":
        return remember(this.setLabels(this.disk(project, zone, name), body, { project, zone }));
      case "images.get":
        return { body: imageJson(this.image(project, name)) };
      case "images.getFromFamily":
        return { body: imageJson(this.fromFamily(project, route.family ?? "")) };
      case "images.list":
        return this.list(
          request.query,
          [...this.images.values()].filter((i) => i.project === project).map(imageJson),
        );
      case "images.insert":
        return remember(await this.insertImage(project, body, request));
      case "images.delete":
        return remember(this.deleteImage(project, name, request.failOperation));
      case "images.deprecate":
        return remember(this.deprecate(project, name, body, request.failOperation));
      case "images.setLabels":
        return remember(this.setLabels(this.image(project, name), body, { project }));
      case "instanceTemplates.insert":
        return remember(this.insertTemplate(project, body));
      case "instanceTemplates.get":
        return { body: templateJson(this.templateByName(project, name)) };
      case "instanceTemplates.list":
        return this.list(
          request.query,
          [...this.fleet.templates.values()].filter((t) => t.project === project).map(templateJson),
        );
      case "instanceTemplates.delete":
        return remember(this.deleteTemplate(project, name));
      case "instanceGroupManagers.get":
      case "regionInstanceGroupManagers.get":
        return { body: groupJson(this.groupAt(route)) };
      case "instanceGroupManagers.list":
      case "regionInstanceGroupManagers.list":
        return this.list(
          request.query,
          [...this.fleet.groups.values()]
            .filter(
              (g) => g.project === project && (route.region ? g.region === route.region : g.zone === zone),
            )
            .map(groupJson),
        );
      case "instanceGroupManagers.aggregatedList":
        return { body: this.aggregatedGroups(project) };
      case "instanceGroupManagers.listManagedInstances":
      case "regionInstanceGroupManagers.listManagedInstances": {
        const group = this.groupAt(route);
        const page = this.list(
          request.query,
          group.members.map((member) => memberJson(group, member)),
        ).body as { items: unknown[]; nextPageToken?: string };
        return {
          body: {
            managedInstances: page.items,
            ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
          },
        };
      }
      case "instanceGroupManagers.patch":
      case "regionInstanceGroupManagers.patch":
        return remember(this.patchGroup(route, body));
      case "zoneOperations.get":
      case "regionOperations.get":
      case "globalOperations.get":
        return { body: operationJson(this.operation(project, name)) };
      case "zoneOperations.wait":
      case "regionOperations.wait":
      case "globalOperations.wait":
        return { body: operationJson(await this.waitOperation(project, name)) };
      default:
        throw new HttpError(404, "notFound", `${route.call} is not served by the fake`);
    }
  }

  // ---- instances ----

  private insertInstance(
    project: string,
    zone: string,
    body: Record<string, unknown>,
    fail: boolean,
  ): FakeOperation {
    const name = requireName(body.name);
    const key = this.zonalKey(project, zone, name);
    if (this.instances.has(key)) {
      throw new HttpError(
        409,
        "alreadyExists",
        `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`,
      );
    }
    const machineType =
      String(body.machineType ?? "")
        .split("/")
        .pop() ?? "";
    if (!/^(e2|n1|n2|n2d|c3|t2d)-[a-z0-9-]+$/.test(machineType)) {
      throw new HttpError(
        400,
        "invalid",
        `Invalid value for field 'resource.machineType': '${body.machineType}'.`,
      );
    }
    const disks = (body.disks ?? []) as {
      boot?: boolean;
      autoDelete?: boolean;
      initializeParams?: Record<string, unknown>;
    }[];
    const boot = disks.find((d) => d.boot);
    const params = boot?.initializeParams;
    if (!params?.sourceImage) {
      throw new HttpError(
        400,
        "invalid",
        "Invalid value for field 'resource.disks[0].initializeParams.sourceImage': ''.",
      );
    }
    const image = this.imageByReference(String(params.sourceImage));
    const diskName = String(params.diskName ?? name);
    if (this.disks.has(this.zonalKey(project, zone, diskName))) {
      throw new HttpError(
        409,
        "alreadyExists",
        `The resource 'projects/${project}/zones/${zone}/disks/${diskName}' already exists`,
      );
    }
    const instance: FakeInstance = {
      kind: "instance",
      project,
      zone,
      name,
      id: this.newId(),
      machineType,
      status: "PROVISIONING",
      labels: (body.labels ?? {}) as Record<string, string>,
      labelFingerprint: this.fingerprint(),
      metadataFingerprint: this.fingerprint(),
      metadata: (((body.metadata ?? {}) as { items?: { key: string; value: string }[] }).items ?? []).map(
        (i) => ({
          key: i.key,
          value: i.value,
        }),
      ),
      scheduling: (body.scheduling ?? {}) as Record<string, unknown>,
      disks: [],
      networkInterfaces: (body.networkInterfaces ?? []) as unknown[],
      serviceAccounts: (body.serviceAccounts ?? []) as unknown[],
      creationTimestamp: this.now(),
      serial: Buffer.alloc(0),
    };
    const sizeGb = Number(params.diskSizeGb ?? image.diskSizeGb);
    const diskType =
      String(params.diskType ?? "pd-standard")
        .split("/")
        .pop() ?? "pd-standard";
    const op = this.operation_({
      project,
      zone,
      type: "insert",
      target: instanceLink(instance),
      targetId: instance.id,
      fail: fail
        ? {
            code: "ZONE_RESOURCE_POOL_EXHAUSTED",
            message: `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.`,
          }
        : undefined,
      apply: () => {
        // Deleted while provisioning: nothing boots.
        if (this.instances.get(key) !== instance) return;
        const disk = this.createDisk({
          project,
          zone,
          name: diskName,
          image,
          labels: (params.labels ?? {}) as Record<string, string>,
          sizeGb,
          type: diskType,
        });
        disk.users.push(instanceLink(instance));
        instance.disks.push({
          source: diskLink(disk),
          deviceName: "persistent-disk-0",
          boot: true,
          autoDelete: boot?.autoDelete ?? true,
        });
        this.boot(instance, disk);
      },
    });
    if (!fail) this.instances.set(key, instance);
    return op;
  }

  private boot(instance: FakeInstance, disk: FakeDisk): void {
    instance.status = "RUNNING";
    this.appendSerial(instance, "SeaBIOS (version 1.8.2-google)\r\nBooting from Hard Disk 0...\r\n");
    this.appendSerial(instance, `[    0.000000] Linux version 6.1.0-fake (bake fake compute)\r\n`);
    const maxRun = Number(
      (instance.scheduling.maxRunDuration as { seconds?: unknown } | undefined)?.seconds ?? 0,
    );
    if (maxRun > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (instance.scheduling.instanceTerminationAction === "DELETE") void this.removeInstance(instance);
        else void this.halt(instance);
      }, maxRun * this.options.msPerSecond);
      this.timers.add(timer);
    }
    const script = instance.metadata.find((item) => item.key === "startup-script")?.value;
    if (script === undefined || this.silent) return;
    const controller = new AbortController();
    instance.guest = controller;
    const prefix = () =>
      `${new Date().toUTCString().slice(5, 25)} ${instance.name} google_metadata_script_runner[812]: startup-script: `;
    this.appendSerial(instance, `${prefix().replace("startup-script: ", "")}Starting startup scripts.\n`);
    const run = this.options
      .guest({
        lowerDirs: disk.lowerDirs,
        upperDir: disk.upperDir,
        script,
        signal: controller.signal,
        onLine: (line) => this.appendSerial(instance, `${prefix()}${line}\n`),
      })
      .then(
        (code) => {
          instance.scriptExit = code;
          this.appendSerial(
            instance,
            `${prefix().replace("startup-script: ", "")}startup-script exit status ${code}\n`,
          );
        },
        (error: unknown) => {
          if (!controller.signal.aborted) this.appendSerial(instance, `guest error: ${String(error)}\n`);
        },
      );
    this.guests.add(run);
    void run.finally(() => this.guests.delete(run));
    (instance as FakeInstance & { guestDone?: Promise<unknown> }).guestDone = run;
  }

  // Stops the guest and waits until its sandbox is gone, so nothing writes to the disk afterwards.
  private async halt(instance: FakeInstance): Promise<void> {
    instance.guest?.abort();
    await (instance as FakeInstance & { guestDone?: Promise<unknown> }).guestDone;
    instance.status = "TERMINATED";
  }

  private stopInstance(project: string, zone: string, name: string, fail: boolean): FakeOperation {
    const instance = this.instance(project, zone, name);
    if (!fail) instance.status = "STOPPING";
    return this.operation_({
      project,
      zone,
      type: "stop",
      target: instanceLink(instance),
      targetId: instance.id,
      fail: fail
        ? { code: "INTERNAL_ERROR", message: "Internal error while stopping the instance." }
        : undefined,
      apply: () => this.halt(instance),
    });
  }

  private deleteInstance(project: string, zone: string, name: string, fail: boolean): FakeOperation {
    const instance = this.instance(project, zone, name);
    return this.operation_({
      project,
      zone,
      type: "delete",
      target: instanceLink(instance),
      targetId: instance.id,
      fail: fail
        ? { code: "INTERNAL_ERROR", message: "Internal error while deleting the instance." }
        : undefined,
      apply: () => this.removeInstance(instance),
    });
  }

  private async removeInstance(instance: FakeInstance): Promise<void> {
    const key = this.zonalKey(instance.project, instance.zone, instance.name);
    if (this.instances.get(key) !== instance) return;
    await this.halt(instance);
    this.instances.delete(key);
    for (const attached of instance.disks) {
      const disk = [...this.disks.values()].find((d) => diskLink(d) === attached.source);
      if (!disk) continue;
      disk.users = disk.users.filter((user) => user !== instanceLink(instance));
      if (attached.autoDelete) await this.removeDisk(disk);
    }
  }

  private serial(instance: FakeInstance, query: Record<string, string>): Record<string, unknown> {
    if (query.port !== undefined && query.port !== "1") {
      return { kind: "compute#serialPortOutput", contents: "", start: "0", next: "0" };
    }
    const start = Math.min(Number(query.start ?? 0), instance.serial.length);
    const end = Math.min(instance.serial.length, start + 1024 * 1024);
    return {
      kind: "compute#serialPortOutput",
      contents: instance.serial.subarray(start, end).toString("utf8"),
      start: String(start),
      next: String(end),
      selfLink: `${instanceLink(instance)}/serialPort`,
    };
  }

  private appendSerial(instance: FakeInstance, text: string): void {
    instance.serial = Buffer.concat([instance.serial, Buffer.from(text, "utf8")]);
  }

  // ---- disks ----

  private createDisk(input: {
    project: string;
    zone: string;
    name: string;
    image: FakeImage;
    labels: Record<string, string>;
    sizeGb: number;
    type: string;
  }): FakeDisk {
    const id = this.newId();
    const disk: FakeDisk = {
      kind: "disk",
      project: input.project,
      zone: input.zone,
      name: input.name,
      id,
      sizeGb: input.sizeGb,
      type: input.type,
      sourceImage: imageLink(input.image),
      sourceImageId: input.image.id,
      labels: input.labels,
      labelFingerprint: this.fingerprint(),
      users: [],
      creationTimestamp: this.now(),
      lowerDirs: input.image.layers,
      upperDir: join(this.root, "disks", id, "upper"),
    };
    this.disks.set(this.zonalKey(input.project, input.zone, input.name), disk);
    return disk;
  }

  private deleteDisk(project: string, zone: string, name: string, fail: boolean): FakeOperation {
    const disk = this.disk(project, zone, name);
    if (disk.users.length > 0) {
      throw new HttpError(
        400,
        "resourceInUseByAnotherResource",
        `The disk resource '${diskLink(disk)}' is already being used by '${disk.users[0]}'`,
      );
    }
    return this.operation_({
      project,
      zone,
      type: "delete",
      target: diskLink(disk),
      targetId: disk.id,
      fail: fail ? { code: "INTERNAL_ERROR", message: "Internal error while deleting the disk." } : undefined,
      apply: () => this.removeDisk(disk),
    });
  }

  private async removeDisk(disk: FakeDisk): Promise<void> {
    this.disks.delete(this.zonalKey(disk.project, disk.zone, disk.name));
    await rm(join(this.root, "disks", disk.id), { recursive: true, force: true });
  }

  // ---- images ----

  private async insertImage(
    project: string,
    body: Record<string, unknown>,
    request: { query: Record<string, string>; failOperation: boolean },
  ): Promise<FakeOperation> {
    const name = requireName(body.name);
    if (this.images.has(`${project}/${name}`)) {
      throw new HttpError(
        409,
        "alreadyExists",
        `The resource 'projects/${project}/global/images/${name}' already exists`,
      );
    }
    const source = String(body.sourceDisk ?? "");
    const disk = [...this.disks.values()].find((d) =>
      diskLink(d).endsWith(source.replace(/^.*?(projects\/|zones\/)/, "$1")),
    );
    if (!disk) throw new HttpError(404, "notFound", `The resource '${source}' was not found`);
    const busy = disk.users
      .map((link) => [...this.instances.values()].find((i) => instanceLink(i) === link))
      .find((i) => i && i.status !== "TERMINATED");
    if (busy && request.query.forceCreate !== "true") {
      throw new HttpError(
        400,
        "resourceInUseByAnotherResource",
        `The disk resource '${diskLink(disk)}' is already being used by '${instanceLink(busy)}'`,
      );
    }
    const layer = join(this.root, "images", `${name}-${this.newId()}`);
    const image: FakeImage = {
      kind: "image",
      project,
      name,
      id: this.newId(),
      labels: (body.labels ?? {}) as Record<string, string>,
      labelFingerprint: this.fingerprint(),
      status: "PENDING",
      storageLocations: (body.storageLocations as string[] | undefined) ?? ["us"],
      diskSizeGb: disk.sizeGb,
      sourceDisk: diskLink(disk),
      sourceDiskId: disk.id,
      creationTimestamp: this.now(),
      layers: [layer, ...disk.lowerDirs],
      ...(typeof body.family === "string" ? { family: body.family } : {}),
      ...(typeof body.description === "string" ? { description: body.description } : {}),
    };
    // The disk's contents are captured now, as Compute Engine snapshots the disk when the insert starts.
    await mkdir(layer, { recursive: true });
    await execFileAsync("cp", ["-a", `${disk.upperDir}/.`, layer]).catch(() => undefined);
    const op = this.operation_({
      project,
      type: "insert",
      target: imageLink(image),
      targetId: image.id,
      fail: request.failOperation ? { code: "INTERNAL_ERROR", message: "Image creation failed." } : undefined,
      apply: () => {
        image.status = "READY";
      },
      onFail: () => {
        this.images.delete(`${project}/${name}`);
      },
    });
    this.images.set(`${project}/${name}`, image);
    return op;
  }

  private deleteImage(project: string, name: string, fail: boolean): FakeOperation {
    const image = this.image(project, name);
    return this.operation_({
      project,
      type: "delete",
      target: imageLink(image),
      targetId: image.id,
      fail: fail
        ? { code: "INTERNAL_ERROR", message: "Internal error while deleting the image." }
        : undefined,
      apply: () => {
        this.images.delete(`${project}/${name}`);
      },
    });
  }

  private deprecate(
    project: string,
    name: string,
    body: Record<string, unknown>,
    fail: boolean,
  ): FakeOperation {
    const image = this.image(project, name);
    const state = String(body.state ?? "ACTIVE");
    if (!["ACTIVE", "DEPRECATED", "OBSOLETE", "DELETED"].includes(state)) {
      throw new HttpError(400, "invalid", `Invalid value for field 'resource.state': '${state}'.`);
    }
    return this.operation_({
      project,
      type: "deprecate",
      target: imageLink(image),
      targetId: image.id,
      fail: fail ? { code: "INTERNAL_ERROR", message: "Internal error while deprecating." } : undefined,
      apply: () => {
        if (state === "ACTIVE") delete image.deprecated;
        else {
          image.deprecated = {
            state: state as "DEPRECATED",
            ...(typeof body.replacement === "string" ? { replacement: body.replacement } : {}),
          };
        }
      },
    });
  }

  private fromFamily(project: string, family: string): FakeImage {
    const candidates = [...this.images.values()]
      .filter((i) => i.project === project && i.family === family && i.status === "READY" && !i.deprecated)
      .sort(
        (a, b) =>
          Date.parse(b.creationTimestamp) - Date.parse(a.creationTimestamp) || Number(b.id) - Number(a.id),
      );
    const latest = candidates[0];
    if (!latest) {
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${project}/global/images/family/${family}' was not found`,
      );
    }
    return latest;
  }

  private imageByReference(reference: string): FakeImage {
    const match = /projects\/([^/]+)\/global\/images\/(family\/)?([^/]+)$/.exec(reference);
    if (!match) throw new HttpError(400, "invalid", `Invalid value for field 'sourceImage': '${reference}'.`);
    const [, project = "", family, name = ""] = match;
    const image = family ? this.fromFamily(project, name) : this.image(project, name);
    if (image.deprecated && ["OBSOLETE", "DELETED"].includes(image.deprecated.state)) {
      throw new HttpError(
        400,
        "invalid",
        `The resource '${imageLink(image)}' is ${image.deprecated.state.toLowerCase()}`,
      );
    }
    if (image.status !== "READY")
      throw new HttpError(400, "resourceNotReady", `The resource '${imageLink(image)}' is not ready`);
    return image;
  }

  // ---- labels ----

  private setLabels(
    resource: FakeInstance | FakeDisk | FakeImage,
    body: Record<string, unknown>,
    scope: { project: string; zone?: string },
  ): FakeOperation {
    if (body.labelFingerprint !== resource.labelFingerprint) {
      throw new HttpError(
        412,
        "conditionNotMet",
        "Labels fingerprint either invalid or resource labels have changed",
      );
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    return this.operation_({
      ...scope,
      type: "setLabels",
      target:
        resource.kind === "image"
          ? imageLink(resource)
          : resource.kind === "disk"
            ? diskLink(resource)
            : instanceLink(resource),
      targetId: resource.id,
      apply: () => {
        resource.labels = { ...labels };
        resource.labelFingerprint = this.fingerprint();
      },
    });
  }

  // Replaces an instance's metadata items under its fingerprint, as Compute Engine does.
  private setMetadata(instance: FakeInstance, body: Record<string, unknown>): FakeOperation {
    if (body.fingerprint !== instance.metadataFingerprint) {
      throw new HttpError(
        412,
        "conditionNotMet",
        "Supplied fingerprint does not match current metadata fingerprint.",
      );
    }
    const items = ((body.items ?? []) as { key: string; value: string }[]).map((i) => ({
      key: i.key,
      value: i.value,
    }));
    return this.operation_({
      project: instance.project,
      zone: instance.zone,
      type: "setMetadata",
      target: instanceLink(instance),
      targetId: instance.id,
      apply: () => {
        instance.metadata = items;
        instance.metadataFingerprint = this.fingerprint();
      },
    });
  }

  // Another writer changed the labels a moment ago, so the caller's fingerprint is stale.
  private changeLabelsBehindTheBack(route: Route): void {
    const { project, zone = "", name = "" } = route;
    const resource =
      route.call === "images.setLabels"
        ? this.images.get(`${project}/${name}`)
        : route.call === "disks.setLabels"
          ? this.disks.get(this.zonalKey(project, zone, name))
          : this.instances.get(this.zonalKey(project, zone, name));
    if (!resource) return;
    resource.labels = { ...resource.labels, "other-writer": "was-here" };
    resource.labelFingerprint = this.fingerprint();
  }

  // ---- operations ----

  private operation_(input: {
    project: string;
    zone?: string;
    region?: string;
    type: string;
    target: string;
    targetId: string;
    fail?: { code: string; message: string } | undefined;
    apply: () => void | Promise<void>;
    onFail?: () => void;
  }): FakeOperation {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const op: FakeOperation = {
      project: input.project,
      name: `operation-${Date.now()}-${randomBytes(6).toString("hex")}`,
      id: this.newId(),
      operationType: input.type,
      targetLink: input.target,
      targetId: input.targetId,
      status: "RUNNING",
      insertTime: this.now(),
      startTime: this.now(),
      done,
      ...(input.zone ? { zone: input.zone } : {}),
      ...(input.region ? { region: input.region } : {}),
    };
    this.operations.set(`${op.project}/${op.name}`, op);
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      if (input.fail) {
        op.error = { errors: [input.fail] };
        op.httpErrorStatusCode = 503;
        op.httpErrorMessage = "SERVICE UNAVAILABLE";
        input.onFail?.();
      } else {
        try {
          await input.apply();
        } catch (error) {
          op.error = { errors: [{ code: "INTERNAL_ERROR", message: String(error) }] };
        }
      }
      op.status = "DONE";
      op.endTime = this.now();
      finish();
    }, this.options.operationLatencyMs);
    this.timers.add(timer);
    return op;
  }

  private async waitOperation(project: string, name: string): Promise<FakeOperation> {
    const op = this.operation(project, name);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      op.done,
      new Promise((resolve) => (timer = setTimeout(resolve, this.options.waitTimeoutMs))),
    ]);
    clearTimeout(timer);
    return op;
  }

  // ---- instance templates and managed instance groups ----

  private insertTemplate(project: string, body: Record<string, unknown>): FakeOperation {
    const name = requireName(body.name);
    if (this.fleet.template(project, name)) {
      throw new HttpError(
        409,
        "alreadyExists",
        `The resource 'projects/${project}/global/instanceTemplates/${name}' already exists`,
      );
    }
    const properties = (body.properties ?? {}) as Record<string, unknown>;
    const disks = (properties.disks ?? []) as {
      boot?: boolean;
      initializeParams?: { sourceImage?: string };
    }[];
    const boot = disks.find((d) => d.boot) ?? disks[0];
    // Compute Engine checks the boot image when the template is made, not only when an instance boots.
    this.imageByReference(String(boot?.initializeParams?.sourceImage ?? ""));
    const template: FakeTemplate = {
      kind: "template",
      project,
      name,
      id: this.newId(),
      ...(typeof body.description === "string" ? { description: body.description } : {}),
      properties,
      creationTimestamp: this.now(),
    };
    return this.operation_({
      project,
      type: "insert",
      target: templateLink(template),
      targetId: template.id,
      apply: () => {
        this.fleet.templates.set(`${project}/${name}`, template);
      },
    });
  }

  private deleteTemplate(project: string, name: string): FakeOperation {
    const template = this.templateByName(project, name);
    const user = this.fleet.inUse(project, name);
    if (user) {
      throw new HttpError(
        400,
        "resourceInUseByAnotherResource",
        `The instance_template resource '${templateLink(template)}' is already being used by 'projects/${project}/instanceGroupManagers/${user}'`,
      );
    }
    return this.operation_({
      project,
      type: "delete",
      target: templateLink(template),
      targetId: template.id,
      apply: () => {
        this.fleet.templates.delete(`${project}/${name}`);
      },
    });
  }

  private templateByName(project: string, name: string): FakeTemplate {
    const found = this.fleet.template(project, name);
    if (!found) {
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${project}/global/instanceTemplates/${name}' was not found`,
      );
    }
    return found;
  }

  private templateImage(template: FakeTemplate): FakeImage | undefined {
    const disks = (template.properties.disks ?? []) as {
      boot?: boolean;
      initializeParams?: { sourceImage?: string };
    }[];
    const source = (disks.find((d) => d.boot) ?? disks[0])?.initializeParams?.sourceImage;
    const match = /projects\/([^/]+)\/global\/images\/([^/]+)$/.exec(String(source ?? ""));
    return match ? this.images.get(`${match[1]}/${match[2]}`) : undefined;
  }

  private groupAt(route: Route): FakeGroup {
    const scope = route.region ?? route.zone ?? "";
    const found = this.fleet.groups.get(`${route.project}/${scope}/${route.name ?? ""}`);
    if (!found) {
      const where = route.region ? `regions/${route.region}` : `zones/${route.zone}`;
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${route.project}/${where}/instanceGroupManagers/${route.name}' was not found`,
      );
    }
    return found;
  }

  // Applies a patch: the versions' template and the update policy, as the real PATCH merges them.
  private patchGroup(route: Route, body: Record<string, unknown>): FakeOperation {
    const group = this.groupAt(route);
    const versions = (body.versions ?? []) as { instanceTemplate?: string }[];
    const link = versions[0]?.instanceTemplate ?? (body.instanceTemplate as string | undefined);
    const template = link ? String(link).split("/").pop() : undefined;
    if (template !== undefined && !this.fleet.template(group.project, template)) {
      throw new HttpError(
        400,
        "invalid",
        `Invalid value for field 'resource.versions[0].instanceTemplate': '${link}'. The referenced instanceTemplate resource cannot be found.`,
      );
    }
    const policy = (body.updatePolicy ?? {}) as Partial<FakeGroup["updatePolicy"]>;
    const next = { ...group.updatePolicy, ...policy };
    const surge = next.maxSurge as FixedOrPercent;
    const unavailable = next.maxUnavailable as FixedOrPercent;
    const fixedOrZero = (a: FixedOrPercent) => (a.percent ?? 0) === 0 && (a.fixed ?? 0) === 0;
    if (next.type === "PROACTIVE" && fixedOrZero(surge) && fixedOrZero(unavailable)) {
      throw new HttpError(
        400,
        "invalid",
        "Invalid value for field 'resource.updatePolicy': maxSurge and maxUnavailable cannot both be 0.",
      );
    }
    if (group.region && (surge.fixed ?? group.zones.length) < group.zones.length && surge.fixed !== 0) {
      throw new HttpError(
        400,
        "invalid",
        `Invalid value for field 'resource.updatePolicy.maxSurge.fixed': '${surge.fixed}'. Fixed updatePolicy.maxSurge for regional managed instance group has to be 0 or at least equal to the number of zones.`,
      );
    }
    return this.operation_({
      project: group.project,
      ...(group.region ? { region: group.region } : { zone: group.zone as string }),
      type: "patch",
      target: `${API_BASE}projects/${group.project}/${group.region ? `regions/${group.region}` : `zones/${group.zone}`}/instanceGroupManagers/${group.name}`,
      targetId: group.id,
      apply: () => {
        if (template !== undefined) group.template = template;
        group.updatePolicy = {
          ...next,
          maxSurge: { ...surge },
          maxUnavailable: { ...unavailable },
        };
        group.fingerprint = this.fingerprint();
      },
    });
  }

  private aggregatedGroups(project: string): Record<string, unknown> {
    const items: Record<string, { instanceGroupManagers: unknown[] }> = {};
    for (const group of this.fleet.groups.values()) {
      if (group.project !== project) continue;
      const scope = group.region ? `regions/${group.region}` : `zones/${group.zone}`;
      items[scope] ??= { instanceGroupManagers: [] };
      items[scope].instanceGroupManagers.push(groupJson(group));
    }
    return { kind: "compute#instanceGroupManagerAggregatedList", items };
  }

  // A group's instance: a running server with its boot disk from the template's image, no startup script run.
  private spawnInstance(input: {
    project: string;
    zone: string;
    name: string;
    template: FakeTemplate;
  }): FakeInstance {
    const image = this.templateImage(input.template);
    if (!image) throw new Error(`fake compute: template ${input.template.name} names no known image`);
    const props = input.template.properties;
    const disk = this.createDisk({
      project: input.project,
      zone: input.zone,
      name: input.name,
      image,
      labels: {},
      sizeGb: image.diskSizeGb,
      type: "pd-balanced",
    });
    this.counter += 1;
    const instance: FakeInstance = {
      kind: "instance",
      project: input.project,
      zone: input.zone,
      name: input.name,
      id: this.newId(),
      machineType: String(props.machineType ?? "e2-small"),
      status: "RUNNING",
      labels: { ...((props.labels ?? {}) as Record<string, string>) },
      labelFingerprint: this.fingerprint(),
      metadataFingerprint: this.fingerprint(),
      metadata: [...(((props.metadata ?? {}) as { items?: { key: string; value: string }[] }).items ?? [])],
      scheduling: {},
      disks: [{ source: diskLink(disk), deviceName: "boot", boot: true, autoDelete: true }],
      networkInterfaces: [
        {
          network: "global/networks/default",
          networkIP:
            this.options.instanceAddress({ name: input.name, zone: input.zone, image }) ??
            `10.128.${(this.counter >> 8) & 255}.${this.counter & 255}`,
        },
      ],
      serviceAccounts: [...((props.serviceAccounts ?? []) as unknown[])],
      creationTimestamp: this.now(),
      serial: Buffer.alloc(0),
    };
    disk.users.push(instanceLink(instance));
    this.instances.set(this.zonalKey(input.project, input.zone, input.name), instance);
    return instance;
  }

  // ---- lookups and lists ----

  private instance(project: string, zone: string, name: string): FakeInstance {
    const found = this.instances.get(this.zonalKey(project, zone, name));
    if (!found)
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`,
      );
    return found;
  }

  private disk(project: string, zone: string, name: string): FakeDisk {
    const found = this.disks.get(this.zonalKey(project, zone, name));
    if (!found)
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${project}/zones/${zone}/disks/${name}' was not found`,
      );
    return found;
  }

  private image(project: string, name: string): FakeImage {
    const found = this.images.get(`${project}/${name}`);
    if (!found)
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${project}/global/images/${name}' was not found`,
      );
    return found;
  }

  private operation(project: string, name: string): FakeOperation {
    const found = this.operations.get(`${project}/${name}`);
    if (!found)
      throw new HttpError(
        404,
        "notFound",
        `The resource 'projects/${project}/operations/${name}' was not found`,
      );
    return found;
  }

  private zonal<T extends { project: string; zone: string }>(
    map: Map<string, T>,
    project: string,
    zone: string,
  ): T[] {
    return [...map.values()].filter((r) => r.project === project && r.zone === zone);
  }

  private list(query: Record<string, string>, items: Record<string, unknown>[]): Handled {
    const filtered = items.filter((item) => matchesFilter(item, query.filter));
    const start = Number(query.pageToken ?? 0);
    const size = Number(query.maxResults ?? 500);
    const page = filtered.slice(start, start + size);
    const next = start + size < filtered.length ? String(start + size) : undefined;
    return { body: { kind: "compute#list", items: page, ...(next ? { nextPageToken: next } : {}) } };
  }

  private aggregated<T extends { project: string; zone: string }>(
    query: Record<string, string>,
    field: string,
    project: string,
    map: Map<string, T>,
    json: (r: T) => Record<string, unknown>,
  ): Handled {
    const items: Record<string, Record<string, unknown>> = {};
    for (const resource of map.values()) {
      if (resource.project !== project) continue;
      const rendered = json(resource);
      if (!matchesFilter(rendered, query.filter)) continue;
      const scope = `zones/${resource.zone}`;
      items[scope] ??= { [field]: [] };
      (items[scope][field] as unknown[]).push(rendered);
    }
    return { body: { kind: `compute#${field === "disks" ? "disk" : "instance"}AggregatedList`, items } };
  }

  private zonalKey(project: string, zone: string, name: string): string {
    return `${project}/${zone}/${name}`;
  }

  private newId(): string {
    this.counter += 1;
    return `${BigInt(`0x${randomBytes(7).toString("hex")}`) + 1_000_000_000_000_000n + BigInt(this.counter)}`;
  }

  private fingerprint(): string {
    return randomBytes(8).toString("base64");
  }

  private now(): string {
    return new Date(Date.now() - this.clockOffsetMs).toISOString();
  }
}

function requireName(value: unknown): string {
  const name = String(value ?? "");
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new HttpError(
      400,
      "invalid",
      `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
    );
  }
  return name;
}

const ROUTES: { method: string; pattern: RegExp; call: string }[] = [
  { method: "GET", pattern: /^zones\/([^/]+)\/instances$/, call: "instances.list" },
  { method: "POST", pattern: /^zones\/([^/]+)\/instances$/, call: "instances.insert" },
  { method: "GET", pattern: /^zones\/([^/]+)\/instances\/([^/]+)$/, call: "instances.get" },
  { method: "DELETE", pattern: /^zones\/([^/]+)\/instances\/([^/]+)$/, call: "instances.delete" },
  { method: "POST", pattern: /^zones\/([^/]+)\/instances\/([^/]+)\/stop$/, call: "instances.stop" },
  {
    method: "GET",
    pattern: /^zones\/([^/]+)\/instances\/([^/]+)\/serialPort$/,
    call: "instances.getSerialPortOutput",
  },
  { method: "POST", pattern: /^zones\/([^/]+)\/instances\/([^/]+)\/setLabels$/, call: "instances.setLabels" },
  {
    method: "POST",
    pattern: /^zones\/([^/]+)\/instances\/([^/]+)\/setMetadata$/,
    call: "instances.setMetadata",
  },
  { method: "GET", pattern: /^zones\/([^/]+)\/disks$/, call: "disks.list" },
  { method: "GET", pattern: /^zones\/([^/]+)\/disks\/([^/]+)$/, call: "disks.get" },
  { method: "DELETE", pattern: /^zones\/([^/]+)\/disks\/([^/]+)$/, call: "disks.delete" },
  { method: "POST", pattern: /^zones\/([^/]+)\/disks\/([^/]+)\/setLabels$/, call: "disks.setLabels" },
  { method: "GET", pattern: /^zones\/([^/]+)\/operations\/([^/]+)$/, call: "zoneOperations.get" },
  { method: "POST", pattern: /^zones\/([^/]+)\/operations\/([^/]+)\/wait$/, call: "zoneOperations.wait" },
  { method: "GET", pattern: /^aggregated\/instances$/, call: "instances.aggregatedList" },
  { method: "GET", pattern: /^aggregated\/disks$/, call: "disks.aggregatedList" },
  { method: "GET", pattern: /^global\/images$/, call: "images.list" },
  { method: "POST", pattern: /^global\/images$/, call: "images.insert" },
  { method: "GET", pattern: /^global\/images\/family\/([^/]+)$/, call: "images.getFromFamily" },
  { method: "GET", pattern: /^global\/images\/([^/]+)$/, call: "images.get" },
  { method: "DELETE", pattern: /^global\/images\/([^/]+)$/, call: "images.delete" },
  { method: "POST", pattern: /^global\/images\/([^/]+)\/deprecate$/, call: "images.deprecate" },
  { method: "POST", pattern: /^global\/images\/([^/]+)\/setLabels$/, call: "images.setLabels" },
  { method: "GET", pattern: /^global\/operations\/([^/]+)$/, call: "globalOperations.get" },
  { method: "GET", pattern: /^global\/instanceTemplates$/, call: "instanceTemplates.list" },
  { method: "POST", pattern: /^global\/instanceTemplates$/, call: "instanceTemplates.insert" },
  { method: "GET", pattern: /^global\/instanceTemplates\/([^/]+)$/, call: "instanceTemplates.get" },
  { method: "DELETE", pattern: /^global\/instanceTemplates\/([^/]+)$/, call: "instanceTemplates.delete" },
  {
    method: "GET",
    pattern: /^aggregated\/instanceGroupManagers$/,
    call: "instanceGroupManagers.aggregatedList",
  },
  { method: "GET", pattern: /^zones\/([^/]+)\/instanceGroupManagers$/, call: "instanceGroupManagers.list" },
  {
    method: "GET",
    pattern: /^zones\/([^/]+)\/instanceGroupManagers\/([^/]+)$/,
    call: "instanceGroupManagers.get",
  },
  {
    method: "PATCH",
    pattern: /^zones\/([^/]+)\/instanceGroupManagers\/([^/]+)$/,
    call: "instanceGroupManagers.patch",
  },
  {
    method: "POST",
    pattern: /^zones\/([^/]+)\/instanceGroupManagers\/([^/]+)\/listManagedInstances$/,
    call: "instanceGroupManagers.listManagedInstances",
  },
  {
    method: "GET",
    pattern: /^regions\/([^/]+)\/instanceGroupManagers$/,
    call: "regionInstanceGroupManagers.list",
  },
  {
    method: "GET",
    pattern: /^regions\/([^/]+)\/instanceGroupManagers\/([^/]+)$/,
    call: "regionInstanceGroupManagers.get",
  },
  {
    method: "PATCH",
    pattern: /^regions\/([^/]+)\/instanceGroupManagers\/([^/]+)$/,
    call: "regionInstanceGroupManagers.patch",
  },
  {
    method: "POST",
    pattern: /^regions\/([^/]+)\/instanceGroupManagers\/([^/]+)\/listManagedInstances$/,
    call: "regionInstanceGroupManagers.listManagedInstances",
  },
  { method: "GET", pattern: /^regions\/([^/]+)\/operations\/([^/]+)$/, call: "regionOperations.get" },
  { method: "POST", pattern: /^regions\/([^/]+)\/operations\/([^/]+)\/wait$/, call: "regionOperations.wait" },
  { method: "POST", pattern: /^global\/operations\/([^/]+)\/wait$/, call: "globalOperations.wait" },
];

function parseRoute(method: string, path: string): Route | undefined {
  const match = /^\/compute\/v1\/projects\/([^/]+)\/(.+)$/.exec(path);
  if (!match) return undefined;
  const [, project = "", rest = ""] = match;
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const found = route.pattern.exec(rest);
    if (!found) continue;
    const groups = found.slice(1).map(decodeURIComponent);
    if (route.pattern.source.startsWith("^zones")) {
      return {
        call: route.call,
        project,
        zone: groups[0] as string,
        ...(groups[1] ? { name: groups[1] } : {}),
      };
    }
    if (route.pattern.source.startsWith("^regions")) {
      return {
        call: route.call,
        project,
        region: groups[0] as string,
        ...(groups[1] ? { name: groups[1] } : {}),
      };
    }
    if (route.call === "images.getFromFamily")
      return { call: route.call, project, family: groups[0] as string };
    return { call: route.call, project, ...(groups[0] ? { name: groups[0] } : {}) };
  }
  return undefined;
}

export { API_BASE };
