import { BakeError } from "../../errors.js";
import type { ImageConfigSpec } from "../../recipe/types.js";

/** The parent image's entrypoint and command, as docker reports them (`null` when unset). */
export interface InheritedCommand {
  entrypoint: string[] | null;
  cmd: string[] | null;
  /** `""` when the parent names no user. @default "" */
  user?: string;
}

/**
 * The docker builder's `changes` (Dockerfile instructions `docker commit --change` applies) for a layer: the parent's
 * entrypoint and cmd restored (the builder's idle command would stick otherwise), and on the last layer the recipe's
 * `config` over them as a Dockerfile applies it: a new ENTRYPOINT resets an inherited CMD, ENV and LABEL add to what
 * the parent has. `stopSignal` is left out: `docker commit --change` refuses STOPSIGNAL (prepare() warns).
 * Values are double-quoted with `\`, `"` and `$` escaped, so docker neither splits nor expands them.
 */
export function dockerChanges(input: {
  inherited: InheritedCommand | undefined;
  config: ImageConfigSpec | undefined;
}): string[] {
  const config = input.config ?? {};
  checkValues(config);
  const changes: string[] = [];
  const entrypoint = config.entrypoint ?? input.inherited?.entrypoint ?? null;
  const cmd = config.cmd ?? (config.entrypoint !== undefined ? [] : (input.inherited?.cmd ?? null));
  if (entrypoint !== null) changes.push(`ENTRYPOINT ${JSON.stringify(entrypoint)}`);
  if (cmd !== null) changes.push(`CMD ${JSON.stringify(cmd)}`);
  for (const [name, value] of Object.entries(config.env ?? {})) changes.push(`ENV ${name}=${quoted(value)}`);
  if (config.workdir !== undefined) changes.push(`WORKDIR ${config.workdir}`);
  const user = config.user ?? input.inherited?.user ?? "";
  if (user !== "") changes.push(`USER ${user}`);
  for (const port of config.exposedPorts ?? []) changes.push(`EXPOSE ${port}`);
  for (const [name, value] of Object.entries(config.labels ?? {}))
    changes.push(`LABEL ${quoted(name)}=${quoted(value)}`);
  return changes;
}

function quoted(value: string): string {
  return `"${value.replace(/[\\"$]/g, "\\$&")}"`;
}

// One instruction per line, and Packer renders `changes` as Go templates: refuse what either would misread.
function checkValues(config: ImageConfigSpec): void {
  const values = [
    ...(config.entrypoint ?? []),
    ...(config.cmd ?? []),
    ...Object.entries(config.env ?? {}).flat(),
    config.workdir ?? "",
    config.user ?? "",
    ...Object.entries(config.labels ?? {}).flat(),
  ];
  for (const value of values) {
    if (value.includes("{{") || /[\r\n]/.test(value)) {
      throw new BakeError({
        code: "packer-config-value",
        message: `config value ${JSON.stringify(value)} contains ${value.includes("{{") ? '"{{", which Packer would read as a template' : "a line break, which docker's --change cannot carry"}`,
        hint: "change the value in the recipe's config:",
      });
    }
  }
}
