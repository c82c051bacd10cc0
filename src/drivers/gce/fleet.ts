import type { protos } from "@google-cloud/compute";
import { BakeError } from "../../errors.js";
import type {
  DriverContext,
  FleetPrimitives,
  GroupMember,
  GroupRef,
  GroupStatus,
  InstanceAmount,
  TemplateInfo,
  UpdatePolicy,
} from "../driver.js";
import { isNotFound } from "./call.js";
import { imagePath, parseImageId } from "./image-ref.js";
import { mutate } from "./operations.js";
import { listServers, PAGED } from "./servers.js";
import type { GceSession } from "./session.js";

type Manager = protos.google.cloud.compute.v1.IInstanceGroupManager;
type ManagedInstance = protos.google.cloud.compute.v1.IManagedInstance;
type Template = protos.google.cloud.compute.v1.IInstanceTemplate;

/** The last path segment of a self link: a template's or a zone's name. */
function lastSegment(link: string | null | undefined): string {
  return String(link ?? "")
    .split("/")
    .pop() as string;
}

/**
 * Managed instance groups and instance templates on Compute Engine, as {@link FleetPrimitives}. Each call
 * opens a session from the context (the environment's project, or the recipe's through `session`).
 */
export class GceFleet implements FleetPrimitives {
  constructor(private readonly session: (ctx: DriverContext) => GceSession) {}

  async groups(ctx: DriverContext): Promise<GroupStatus[]> {
    const session = this.session(ctx);
    const project = session.options.project;
    const scoped = await session.list("instanceGroupManagers.aggregatedList", () =>
      session.compute.instanceGroupManagers.aggregatedListAsync(
        { project, returnPartialSuccess: true },
        PAGED,
      ),
    );
    const refs: GroupRef[] = [];
    for (const [scope, list] of scoped) {
      for (const manager of list.instanceGroupManagers ?? []) {
        const name = String(manager.name);
        refs.push(
          scope.startsWith("regions/")
            ? { name, region: lastSegment(scope) }
            : { name, zone: lastSegment(scope) },
        );
      }
    }
    const servers = await serverIndex(session);
    const groups: GroupStatus[] = [];
    for (const ref of refs.sort((a, b) => a.name.localeCompare(b.name)))
      groups.push(await readGroup(session, ref, servers));
    return groups;
  }

  async group(ref: GroupRef, ctx: DriverContext): Promise<GroupStatus> {
    const session = this.session(ctx);
    return readGroup(session, ref, await serverIndex(session));
  }

  async templates(ctx: DriverContext): Promise<TemplateInfo[]> {
    const session = this.session(ctx);
    const project = session.options.project;
    const templates = await session.list("instanceTemplates.list", () =>
      session.compute.instanceTemplates.listAsync({ project }, PAGED),
    );
    return templates.map(templateInfo);
  }

  async createTemplate(
    input: { from: string; name: string; image: string; labels: Record<string, string> },
    ctx: DriverContext,
  ): Promise<TemplateInfo> {
    const session = this.session(ctx);
    const project = session.options.project;
    const image = parseImageId(input.image);
    if (!image) {
      throw new BakeError({
        code: "rollout-image",
        message: `rollout: ${input.image} is not a Compute Engine image id`,
        hint: "roll out a record built with the gce driver",
      });
    }
    // The record names an exact image; a name reused after a delete is another image and is refused.
    const found = await session.getImage({ project: image.project, name: image.name });
    if (String(found.id) !== image.numericId) {
      throw new BakeError({
        code: "rollout-image",
        message: `rollout: image ${image.name} is no longer the recorded image (id ${String(found.id)}, recorded ${image.numericId})`,
        hint: "rebuild the image, or roll out another record",
      });
    }
    const existing = await getTemplate(session, input.name);
    if (existing) return templateInfo(existing);
    const source = await getTemplate(session, input.from);
    if (!source) {
      throw new BakeError({
        code: "rollout-template",
        message: `rollout: the group's template ${input.from} does not exist`,
      });
    }
    const properties = structuredClone(source.properties ?? {});
    const disks = properties.disks ?? [];
    const boot = disks.find((disk) => disk.boot) ?? disks[0];
    if (!boot) {
      throw new BakeError({
        code: "rollout-template",
        message: `rollout: the group's template ${input.from} has no boot disk`,
      });
    }
    boot.initializeParams = {
      ...(boot.initializeParams ?? {}),
      sourceImage: `projects/${image.project}/global/images/${image.name}`,
    };
    properties.labels = { ...(properties.labels ?? {}), ...input.labels };
    const resource: Template = {
      name: input.name,
      description: `made by bake from ${input.from} with image ${input.image}`,
      properties,
    };
    await mutate({
      compute: session.compute,
      call: "instanceTemplates.insert",
      scope: { project },
      send: (requestId) =>
        session.compute.instanceTemplates.insert({
          project,
          requestId,
          instanceTemplateResource: resource,
        }) as never,
      callOptions: session.callOptions,
    });
    const made = await getTemplate(session, input.name);
    return templateInfo(made ?? resource);
  }

  async startUpdate(
    input: { group: GroupRef; template: string; policy: UpdatePolicy },
    ctx: DriverContext,
  ): Promise<void> {
    const session = this.session(ctx);
    const project = session.options.project;
    const link = `projects/${project}/global/instanceTemplates/${input.template}`;
    const resource: Manager = {
      instanceTemplate: link,
      versions: [{ instanceTemplate: link }],
      updatePolicy: {
        type: "PROACTIVE",
        minimalAction: "REPLACE",
        replacementMethod: "SUBSTITUTE",
        maxSurge: amount(input.policy.maxSurge),
        // The v1 API has no minReadySec (beta only): the fleet layer applies min-ready as it follows the update.
        maxUnavailable: amount(input.policy.maxUnavailable),
      },
    };
    const { name, region, zone } = input.group;
    if (region) {
      const scope = { project, region };
      await mutate({
        compute: session.compute,
        call: "regionInstanceGroupManagers.patch",
        scope,
        send: (requestId) =>
          session.compute.regionInstanceGroupManagers.patch({
            ...scope,
            requestId,
            instanceGroupManager: name,
            instanceGroupManagerResource: resource,
          }) as never,
        callOptions: session.callOptions,
      });
      return;
    }
    const scope = { project, zone: zone ?? session.options.zone };
    await mutate({
      compute: session.compute,
      call: "instanceGroupManagers.patch",
      scope,
      send: (requestId) =>
        session.compute.instanceGroupManagers.patch({
          ...scope,
          requestId,
          instanceGroupManager: name,
          instanceGroupManagerResource: resource,
        }) as never,
      callOptions: session.callOptions,
    });
  }

  async deleteTemplate(name: string, ctx: DriverContext): Promise<void> {
    const session = this.session(ctx);
    const project = session.options.project;
    try {
      await mutate({
        compute: session.compute,
        call: "instanceTemplates.delete",
        scope: { project },
        send: (requestId) =>
          session.compute.instanceTemplates.delete({ project, requestId, instanceTemplate: name }) as never,
        callOptions: session.callOptions,
      });
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return;
      throw error;
    }
  }
}

function amount(value: InstanceAmount): { fixed?: number; percent?: number } {
  return "fixed" in value ? { fixed: value.fixed } : { percent: value.percent };
}

function templateInfo(template: Template): TemplateInfo {
  const disks = template.properties?.disks ?? [];
  const boot = disks.find((disk) => disk.boot) ?? disks[0];
  return {
    name: String(template.name),
    image: imagePath(String(boot?.initializeParams?.sourceImage ?? "")),
    labels: { ...(template.properties?.labels ?? {}) },
    createdAt: String(template.creationTimestamp ?? ""),
  };
}

async function getTemplate(session: GceSession, name: string): Promise<Template | undefined> {
  const project = session.options.project;
  try {
    const [template] = await session.call("instanceTemplates.get", () =>
      session.compute.instanceTemplates.get({ project, instanceTemplate: lastSegment(name) }),
    );
    return template;
  } catch (error) {
    if (isNotFound((error as { cause?: unknown }).cause)) return undefined;
    throw error;
  }
}

interface ServerFacts {
  image: string;
  address?: string;
}

// Every server's exact boot image, by name: a group's member names its template, its disk names the image.
async function serverIndex(session: GceSession): Promise<Map<string, ServerFacts>> {
  const index = new Map<string, ServerFacts>();
  for await (const server of listServers(session)) {
    index.set(server.server, {
      image: server.image,
      ...(server.details?.address ? { address: server.details.address } : {}),
    });
  }
  return index;
}

async function readGroup(
  session: GceSession,
  ref: GroupRef,
  servers: Map<string, ServerFacts>,
): Promise<GroupStatus> {
  const project = session.options.project;
  const request = { project, instanceGroupManager: ref.name };
  let manager: Manager;
  let members: ManagedInstance[];
  if (ref.region) {
    const scoped = { ...request, region: ref.region };
    [manager] = await session.call("regionInstanceGroupManagers.get", () =>
      session.compute.regionInstanceGroupManagers.get(scoped),
    );
    members = await session.list("regionInstanceGroupManagers.listManagedInstances", () =>
      session.compute.regionInstanceGroupManagers.listManagedInstancesAsync(scoped, PAGED),
    );
  } else {
    const scoped = { ...request, zone: ref.zone ?? session.options.zone };
    [manager] = await session.call("instanceGroupManagers.get", () =>
      session.compute.instanceGroupManagers.get(scoped),
    );
    members = await session.list("instanceGroupManagers.listManagedInstances", () =>
      session.compute.instanceGroupManagers.listManagedInstancesAsync(scoped, PAGED),
    );
  }
  const target = lastSegment(manager.versions?.[0]?.instanceTemplate ?? manager.instanceTemplate);
  const healthCheck = manager.autoHealingPolicies?.[0]?.healthCheck;
  return {
    name: ref.name,
    ...(ref.region ? { region: ref.region } : { zone: ref.zone ?? session.options.zone }),
    template: target,
    targetSize: Number(manager.targetSize ?? 0),
    isStable: manager.status?.isStable === true,
    versionReached: manager.status?.versionTarget?.isReached === true,
    ...(healthCheck ? { healthCheck: lastSegment(healthCheck) } : {}),
    members: members.map((member) => memberOf(member, servers)),
  };
}

function memberOf(member: ManagedInstance, servers: Map<string, ServerFacts>): GroupMember {
  const server = lastSegment(member.instance);
  const zone = /\/zones\/([^/]+)\//.exec(String(member.instance ?? ""))?.[1] ?? "";
  const facts = servers.get(server);
  const errors = (member.lastAttempt?.errors?.errors ?? []).map((error) =>
    `${error.code ?? "ERROR"}: ${error.message ?? ""}`.trim(),
  );
  return {
    server,
    zone,
    template: lastSegment(member.version?.instanceTemplate),
    status: String(member.instanceStatus ?? ""),
    action: String(member.currentAction ?? "NONE"),
    health: String(member.instanceHealth?.[0]?.detailedHealthState ?? "UNKNOWN"),
    image: facts?.image ?? "",
    ...(facts?.address ? { address: facts.address } : {}),
    ...(errors.length > 0 ? { errors } : {}),
  };
}
