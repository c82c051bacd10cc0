import type { ImageConfigSpec } from "../../recipe/types.js";
import type { ImageConfig } from "./oci.js";

type RuntimeConfig = NonNullable<ImageConfig["config"]>;

/**
 * The parent's runtime config with the recipe's `config` applied as a Dockerfile applies its instructions: a new
 * `entrypoint` drops an inherited `cmd` (unless the recipe sets one too), `env` replaces variables by name and keeps
 * the rest in order, `labels` and `exposedPorts` merge, and every other field replaces the parent's.
 */
export function applyRuntimeConfig(parent: RuntimeConfig, spec: ImageConfigSpec | undefined): RuntimeConfig {
  if (spec === undefined) return { ...parent };
  const out: RuntimeConfig = { ...parent };
  if (spec.entrypoint !== undefined) {
    out.Entrypoint = [...spec.entrypoint];
    delete out.Cmd;
  }
  if (spec.cmd !== undefined) out.Cmd = [...spec.cmd];
  if (spec.env !== undefined) out.Env = mergeEnv(parent.Env ?? [], spec.env);
  if (spec.workdir !== undefined) out.WorkingDir = spec.workdir;
  if (spec.user !== undefined) out.User = spec.user;
  if (spec.exposedPorts !== undefined) {
    const ports: Record<string, Record<string, never>> = { ...(parent.ExposedPorts ?? {}) };
    for (const port of spec.exposedPorts) ports[port] = {};
    out.ExposedPorts = ports;
  }
  if (spec.stopSignal !== undefined) out.StopSignal = spec.stopSignal;
  if (spec.labels !== undefined) out.Labels = { ...(parent.Labels ?? {}), ...spec.labels };
  return out;
}

// `NAME=value` entries: a variable the recipe sets replaces the parent's in place; new ones follow in recipe order.
function mergeEnv(parent: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const set = new Map(Object.entries(env));
  const out = parent.map((entry) => {
    const name = entry.slice(0, Math.max(0, entry.indexOf("=")));
    const value = set.get(name);
    if (value === undefined) return entry;
    set.delete(name);
    return `${name}=${value}`;
  });
  for (const [name, value] of set) out.push(`${name}=${value}`);
  return out;
}
