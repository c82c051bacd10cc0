import { nearest } from "../../util/nearest.js";
import { parseDuration } from "./duration.js";
import { isLabelKey, isLabelValue } from "./labels.js";

/** The environment variable that points the driver at another Compute Engine endpoint (tests, proxies). */
export const ENDPOINT_ENV = "BAKE_GCE_ENDPOINT";
/** Environment variables consulted, in order, for the project when no recipe names one. */
export const PROJECT_ENVS = ["BAKE_GCE_PROJECT", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"] as const;
/** Environment variable consulted for the zone when no recipe names one. */
export const ZONE_ENV = "BAKE_GCE_ZONE";
/** Environment variables that override tuning options (CI and tests), whatever the recipe says. */
export const TUNING_ENVS: Record<string, string> = {
  BAKE_GCE_POLL_INTERVAL: "pollInterval",
  BAKE_GCE_RETRY_DELAY: "retryDelay",
  BAKE_GCE_BUILD_TIMEOUT: "buildTimeout",
  BAKE_GCE_VERIFY_TIMEOUT: "verifyTimeout",
  BAKE_GCE_EXTERNAL_IP: "externalIp",
};

/** The gce target's options after validation, with defaults applied. */
export interface GceOptions {
  project: string;
  zone: string;
  /** @default "e2-standard-2" */
  machineType: string;
  network?: string;
  subnetwork?: string;
  serviceAccount?: string;
  diskSizeGb?: number;
  /** @default "pd-balanced" */
  diskType: string;
  /** Family of the final image. @default the lineage */
  imageFamily?: string;
  storageLocations?: string[];
  /** Extra labels on the temporary instances and disks. */
  labels: Record<string, string>;
  /** `http://127.0.0.1:8080` style override; `BAKE_GCE_ENDPOINT` wins over it. */
  endpoint?: string;
  /** How long a builder's startup script may run. @default 30 minutes */
  buildTimeoutMs: number;
  /** How long the verify instance may take. @default 15 minutes */
  verifyTimeoutMs: number;
  /** Compute Engine deletes a temporary instance after this, even when bake was killed. @default timeout + 10 minutes */
  maxRunDurationS: number;
  /** Pause between serial port reads. @default 2 seconds */
  pollIntervalMs: number;
  /** Give temporary instances an external IP (steps that download need one, or Cloud NAT). @default true */
  externalIp: boolean;
  /** Attempts for a call that failed with 429 or 5xx. @default 4 */
  retries: number;
  /** First pause before a retry, doubled each time. @default 1 second */
  retryDelayMs: number;
}

const KNOWN = [
  "project",
  "zone",
  "machineType",
  "network",
  "subnetwork",
  "serviceAccount",
  "diskSizeGb",
  "diskType",
  "imageFamily",
  "storageLocations",
  "labels",
  "endpoint",
  "buildTimeout",
  "verifyTimeout",
  "maxRunDuration",
  "pollInterval",
  "retries",
  "retryDelay",
  "externalIp",
];

const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** What `parseGceOptions` found: the options when valid, and everything wrong with them. */
export interface ParsedGceOptions {
  options?: GceOptions;
  warnings: string[];
  errors: string[];
}

/**
 * Validates a gce target's options without side effects. `env` supplies the endpoint override and, for
 * commands that have no recipe, the project and zone.
 */
export function parseGceOptions(
  given: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedGceOptions {
  const errors: string[] = [];
  const warnings: string[] = [];
  const tuned: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(TUNING_ENVS)) {
    const value = env[name];
    if (value) tuned[key] = value === "true" ? true : value === "false" ? false : value;
  }
  const raw = { ...given, ...tuned };
  for (const key of Object.keys(raw)) {
    if (KNOWN.includes(key)) continue;
    const guess = nearest(key, KNOWN);
    errors.push(`unknown gce option "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}`);
  }
  const text = (key: string): string | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value === "string" && value.length > 0) return value;
    errors.push(`gce option "${key}" must be a non-empty string`);
    return undefined;
  };
  const duration = (key: string, fallbackMs: number): number => {
    if (raw[key] === undefined) return fallbackMs;
    const ms = parseDuration(raw[key]);
    if (ms === undefined || ms <= 0) {
      errors.push(`gce option "${key}" must be a duration such as "90s", "30m" or "2h"`);
      return fallbackMs;
    }
    return ms;
  };

  const project = text("project") ?? PROJECT_ENVS.map((name) => env[name]).find((v) => v);
  if (project === undefined) errors.push('gce option "project" is required (for example "my-project")');
  else if (!PROJECT.test(project)) errors.push(`gce project "${project}" is not a valid project id`);
  const zone = text("zone") ?? env[ZONE_ENV];
  if (zone === undefined) errors.push('gce option "zone" is required (for example "us-central1-a")');
  else if (!ZONE.test(zone)) errors.push(`gce zone "${zone}" is not a zone name such as "us-central1-a"`);

  const imageFamily = text("imageFamily");
  if (imageFamily !== undefined && !NAME.test(imageFamily)) {
    errors.push(`gce imageFamily "${imageFamily}" must be lowercase letters, digits and dashes`);
  }
  let diskSizeGb: number | undefined;
  if (raw.diskSizeGb !== undefined) {
    if (typeof raw.diskSizeGb === "number" && Number.isInteger(raw.diskSizeGb) && raw.diskSizeGb >= 10) {
      diskSizeGb = raw.diskSizeGb;
    } else errors.push('gce option "diskSizeGb" must be a whole number of at least 10');
  }
  let storageLocations: string[] | undefined;
  if (raw.storageLocations !== undefined) {
    const value = raw.storageLocations;
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v)) {
      storageLocations = value as string[];
    } else errors.push('gce option "storageLocations" must be a list of locations such as ["us"]');
  }
  const labels: Record<string, string> = {};
  if (raw.labels !== undefined) {
    if (typeof raw.labels !== "object" || raw.labels === null || Array.isArray(raw.labels)) {
      errors.push('gce option "labels" must be a map of label names to values');
    } else {
      for (const [key, value] of Object.entries(raw.labels)) {
        if (!isLabelKey(key)) errors.push(`gce label "${key}" must start with a lowercase letter`);
        else if (key.startsWith("bake-")) errors.push(`gce label "${key}" is reserved for bake`);
        else if (typeof value !== "string" || !isLabelValue(value)) {
          errors.push(`gce label "${key}" needs a value of lowercase letters, digits, "_" and "-"`);
        } else labels[key] = value;
      }
    }
  }
  const serviceAccount = text("serviceAccount");
  if (serviceAccount !== undefined && serviceAccount !== "default" && !serviceAccount.includes("@")) {
    errors.push(`gce serviceAccount "${serviceAccount}" must be an email or "default"`);
  }
  const endpoint = env[ENDPOINT_ENV] || text("endpoint");
  if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
    errors.push(`gce endpoint "${endpoint}" must look like http://127.0.0.1:8080`);
  }
  const retries = raw.retries === undefined ? 4 : raw.retries;
  if (typeof retries !== "number" || !Number.isInteger(retries) || retries < 1) {
    errors.push('gce option "retries" must be a whole number of at least 1');
  }
  if (raw.externalIp !== undefined && typeof raw.externalIp !== "boolean") {
    errors.push('gce option "externalIp" must be true or false');
  }
  const buildTimeoutMs = duration("buildTimeout", 30 * 60_000);
  const verifyTimeoutMs = duration("verifyTimeout", 15 * 60_000);
  const maxRunMs = duration("maxRunDuration", Math.max(buildTimeoutMs, verifyTimeoutMs) + 10 * 60_000);
  if (maxRunMs < Math.max(buildTimeoutMs, verifyTimeoutMs)) {
    warnings.push(
      "gce maxRunDuration is shorter than the build or verify timeout: instances may be deleted early",
    );
  }
  if (errors.length > 0 || project === undefined || zone === undefined) return { warnings, errors };
  const options: GceOptions = {
    project,
    zone,
    machineType: text("machineType") ?? "e2-standard-2",
    diskType: text("diskType") ?? "pd-balanced",
    labels,
    buildTimeoutMs,
    verifyTimeoutMs,
    maxRunDurationS: Math.ceil(maxRunMs / 1000),
    pollIntervalMs: duration("pollInterval", 2000),
    retries: retries as number,
    externalIp: raw.externalIp !== false,
    retryDelayMs: duration("retryDelay", 1000),
  };
  const optional = { network: text("network"), subnetwork: text("subnetwork"), serviceAccount, imageFamily };
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) Object.assign(options, { [key]: value });
  if (diskSizeGb !== undefined) options.diskSizeGb = diskSizeGb;
  if (storageLocations !== undefined) options.storageLocations = storageLocations;
  if (endpoint !== undefined) options.endpoint = endpoint;
  return { options, warnings, errors };
}
