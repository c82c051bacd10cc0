import { randomBytes } from "node:crypto";
import type { FaultKind } from "./faults.js";
import { API_BASE, type FakeImage, type FakeInstance, instanceLink, zoneLink } from "./resources.js";

/** An instance template: global, immutable once made. */
export interface FakeTemplate {
  kind: "template";
  project: string;
  name: string;
  id: string;
  description?: string;
  properties: Record<string, unknown>;
  creationTimestamp: string;
}

/** What a group is doing to one of its instances. */
export type MemberAction = "CREATING" | "VERIFYING" | "NONE" | "DELETING";

/** One instance of a managed group, as the group manager tracks it. */
export interface FakeMember {
  name: string;
  zone: string;
  /** The template it is (being) made from. */
  template: string;
  action: MemberAction;
  health: "UNKNOWN" | "HEALTHY" | "UNHEALTHY";
  /** Ticks spent in the current action. */
  ticks: number;
  /** The errors of the last creation attempt (quota, say). */
  errors?: { code: string; message: string }[];
  instance?: FakeInstance;
}

/** An amount as the API writes it. */
export interface FixedOrPercent {
  fixed?: number;
  percent?: number;
}

/** A managed instance group, zonal (`zone`) or regional (`region`, its instances spread over `zones`). */
export interface FakeGroup {
  kind: "group";
  project: string;
  name: string;
  id: string;
  zone?: string;
  region?: string;
  zones: string[];
  baseInstanceName: string;
  targetSize: number;
  /** The template name every instance should run. */
  template: string;
  updatePolicy: {
    type: string;
    minimalAction: string;
    replacementMethod: string;
    maxSurge: FixedOrPercent;
    maxUnavailable: FixedOrPercent;
  };
  healthCheck?: string;
  fingerprint: string;
  creationTimestamp: string;
  members: FakeMember[];
  /** Ticks left during which the update makes no progress. */
  stalledTicks: number;
  /** What the group looked like at its worst, over every tick since it was made. */
  stats: { ticks: number; minHealthy: number; maxInstances: number };
}

/** What the group simulator needs from the server it lives in. */
export interface GroupHost {
  /** Creates a RUNNING instance (and its boot disk) from a template, as the group manager would. */
  spawnInstance(input: { project: string; zone: string; name: string; template: FakeTemplate }): FakeInstance;
  removeInstance(instance: FakeInstance): Promise<void>;
  takeFault(call: string): FaultKind | undefined;
  imageOf(template: FakeTemplate): FakeImage | undefined;
  newId(): string;
  now(): string;
}

/** How many ticks each step of an instance's life takes. */
const BOOT_TICKS = 2;
const HEALTH_TICKS = 2;
const DELETE_TICKS = 1;
/** After a failed creation, Compute Engine waits before it tries again; the error stays on the instance meanwhile. */
const RETRY_TICKS = 5;

/**
 * The group manager: on every tick it moves instances along (creating, verifying, deleting) and, for a proactive
 * update, replaces instances that run another template than the group's, never going above the target size plus
 * maxSurge instances nor below the target size minus maxUnavailable healthy ones, as Compute Engine does.
 */
export class GroupSimulator {
  readonly templates = new Map<string, FakeTemplate>();
  readonly groups = new Map<string, FakeGroup>();
  /** Images whose instances never pass the health check. */
  readonly unhealthyImages = new Set<string>();

  constructor(private readonly host: GroupHost) {}

  template(project: string, name: string): FakeTemplate | undefined {
    return this.templates.get(`${project}/${name}`);
  }

  /** Whether any group runs or targets the template. */
  inUse(project: string, name: string): string | undefined {
    for (const group of this.groups.values()) {
      if (group.project !== project) continue;
      if (group.template === name || group.members.some((m) => m.template === name)) return group.name;
    }
    return undefined;
  }

  async tick(): Promise<void> {
    for (const group of this.groups.values()) {
      await this.advance(group);
      if (group.stalledTicks > 0) group.stalledTicks -= 1;
      else this.plan(group);
      this.measure(group);
    }
  }

  /** A new instance of the group on its current template, in the zone with the fewest. */
  addMember(group: FakeGroup, template: string): FakeMember {
    const counts = group.zones.map((zone) => group.members.filter((m) => m.zone === zone).length);
    const zone = group.zones[counts.indexOf(Math.min(...counts))] as string;
    let name: string;
    do name = `${group.baseInstanceName}-${randomBytes(2).toString("hex")}`;
    while (group.members.some((m) => m.name === name));
    const member: FakeMember = { name, zone, template, action: "CREATING", health: "UNKNOWN", ticks: 0 };
    group.members.push(member);
    return member;
  }

  /** Makes a member's instance now (for groups that start out full and healthy). */
  materialize(group: FakeGroup, member: FakeMember): void {
    const template = this.template(group.project, member.template);
    if (!template) throw new Error(`fake compute: no template ${member.template}`);
    member.instance = this.host.spawnInstance({
      project: group.project,
      zone: member.zone,
      name: member.name,
      template,
    });
  }

  // Moves every member one tick along its current action.
  private async advance(group: FakeGroup): Promise<void> {
    for (const member of [...group.members]) {
      member.ticks += 1;
      if (member.action === "CREATING" && member.ticks >= BOOT_TICKS) {
        // Compute Engine retries a failed creation itself and reports the last attempt's errors meanwhile.
        if (this.host.takeFault("managedInstances.create") === "quota") {
          member.errors = [
            {
              code: "QUOTA_EXCEEDED",
              message: `Quota 'CPUS' exceeded.  Limit: 24.0 in region ${group.region ?? group.zones[0]?.replace(/-[a-z]$/, "")}.`,
            },
          ];
          member.ticks = BOOT_TICKS - RETRY_TICKS;
          continue;
        }
        delete member.errors;
        this.materialize(group, member);
        member.action = "VERIFYING";
        member.ticks = 0;
      } else if (member.action === "VERIFYING" && member.ticks >= HEALTH_TICKS) {
        const template = this.template(group.project, member.template);
        const image = template ? this.host.imageOf(template) : undefined;
        if (image && this.unhealthyImages.has(image.name)) member.health = "UNHEALTHY";
        else {
          member.health = "HEALTHY";
          member.action = "NONE";
        }
      } else if (member.action === "DELETING" && member.ticks >= DELETE_TICKS) {
        if (member.instance) await this.host.removeInstance(member.instance);
        group.members = group.members.filter((m) => m !== member);
      }
    }
  }

  // Starts creations and deletions within the surge and unavailable limits.
  private plan(group: FakeGroup): void {
    const surge = resolveAmount(group.updatePolicy.maxSurge, group.targetSize);
    const unavailable = resolveAmount(group.updatePolicy.maxUnavailable, group.targetSize);
    const proactive = group.updatePolicy.type === "PROACTIVE";
    const live = () => group.members.filter((m) => m.action !== "DELETING");
    const current = () => live().filter((m) => m.template === group.template);
    // Without a proactive policy outdated instances stay; the group only keeps its size.
    const ceiling = group.targetSize + (proactive ? surge : 0);
    while (group.members.length < ceiling && current().length < group.targetSize)
      this.addMember(group, group.template);
    if (!proactive) return;
    const outdated = live()
      .filter((m) => m.template !== group.template)
      .sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)));
    for (const member of outdated) {
      const available = group.members.filter(isHealthy).length;
      const loss = isHealthy(member) ? 1 : 0;
      if (available - loss < group.targetSize - unavailable) break;
      member.action = "DELETING";
      member.ticks = 0;
    }
    // A group larger than its target after the update drops its extra instances.
    const extra = current().length - group.targetSize;
    for (const member of current()
      .sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)))
      .slice(0, Math.max(0, extra))) {
      member.action = "DELETING";
      member.ticks = 0;
    }
  }

  private measure(group: FakeGroup): void {
    group.stats.ticks += 1;
    group.stats.minHealthy = Math.min(group.stats.minHealthy, group.members.filter(isHealthy).length);
    group.stats.maxInstances = Math.max(group.stats.maxInstances, group.members.length);
  }
}

/** Whether an instance serves: running and passing its health check, not being deleted. */
export function isHealthy(member: FakeMember): boolean {
  return member.action !== "DELETING" && member.health === "HEALTHY" && member.instance !== undefined;
}

/** A fixed amount, or a percent of the target size rounded down, as the API resolves them. */
export function resolveAmount(amount: FixedOrPercent, targetSize: number): number {
  if (amount.percent !== undefined) return Math.floor((amount.percent * targetSize) / 100);
  return amount.fixed ?? 0;
}

export function templateLink(t: { project: string; name: string }): string {
  return `${API_BASE}projects/${t.project}/global/instanceTemplates/${t.name}`;
}

export function groupLink(group: FakeGroup): string {
  return `${scopeLink(group)}/instanceGroupManagers/${group.name}`;
}

function scopeLink(group: FakeGroup): string {
  return group.region
    ? `${API_BASE}projects/${group.project}/regions/${group.region}`
    : zoneLink(group.project, group.zone as string);
}

export function templateJson(template: FakeTemplate): Record<string, unknown> {
  return {
    kind: "compute#instanceTemplate",
    id: template.id,
    name: template.name,
    ...(template.description ? { description: template.description } : {}),
    properties: template.properties,
    creationTimestamp: template.creationTimestamp,
    selfLink: templateLink(template),
  };
}

export function groupJson(group: FakeGroup): Record<string, unknown> {
  const count = (action: MemberAction) => group.members.filter((m) => m.action === action).length;
  const link = templateLink({ project: group.project, name: group.template });
  return {
    kind: "compute#instanceGroupManager",
    id: group.id,
    name: group.name,
    ...(group.zone ? { zone: zoneLink(group.project, group.zone) } : {}),
    ...(group.region
      ? {
          region: `${API_BASE}projects/${group.project}/regions/${group.region}`,
          distributionPolicy: { zones: group.zones.map((zone) => ({ zone: zoneLink(group.project, zone) })) },
        }
      : {}),
    baseInstanceName: group.baseInstanceName,
    instanceTemplate: link,
    versions: [{ instanceTemplate: link, targetSize: { calculated: group.targetSize } }],
    targetSize: group.targetSize,
    updatePolicy: {
      ...group.updatePolicy,
      maxSurge: {
        ...group.updatePolicy.maxSurge,
        calculated: resolveAmount(group.updatePolicy.maxSurge, group.targetSize),
      },
      maxUnavailable: {
        ...group.updatePolicy.maxUnavailable,
        calculated: resolveAmount(group.updatePolicy.maxUnavailable, group.targetSize),
      },
    },
    ...(group.healthCheck
      ? {
          autoHealingPolicies: [
            {
              healthCheck: `${API_BASE}projects/${group.project}/global/healthChecks/${group.healthCheck}`,
              initialDelaySec: 60,
            },
          ],
        }
      : {}),
    currentActions: {
      none: count("NONE"),
      creating: count("CREATING"),
      creatingWithoutRetries: 0,
      verifying: count("VERIFYING"),
      recreating: 0,
      deleting: count("DELETING"),
      abandoning: 0,
      restarting: 0,
      refreshing: 0,
      resuming: 0,
      starting: 0,
      stopping: 0,
      suspending: 0,
    },
    status: {
      isStable: group.members.length === group.targetSize && group.members.every((m) => m.action === "NONE"),
      versionTarget: { isReached: group.members.every((m) => m.template === group.template) },
      stateful: { hasStatefulConfig: false, perInstanceConfigs: { allEffective: true } },
      allInstancesConfig: { effective: true },
    },
    fingerprint: group.fingerprint,
    creationTimestamp: group.creationTimestamp,
    selfLink: groupLink(group),
  };
}

export function memberJson(group: FakeGroup, member: FakeMember): Record<string, unknown> {
  const link = instanceLink({ project: group.project, zone: member.zone, name: member.name });
  return {
    instance: link,
    name: member.name,
    ...(member.instance ? { id: member.instance.id, instanceStatus: member.instance.status } : {}),
    currentAction: member.action,
    version: { instanceTemplate: templateLink({ project: group.project, name: member.template }) },
    ...(group.healthCheck && member.instance
      ? {
          instanceHealth: [
            {
              healthCheck: `${API_BASE}projects/${group.project}/global/healthChecks/${group.healthCheck}`,
              detailedHealthState: member.health,
            },
          ],
        }
      : {}),
    ...(member.errors ? { lastAttempt: { errors: { errors: member.errors } } } : {}),
  };
}
