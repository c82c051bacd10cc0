import { bakeVersion } from "../version.js";
import { COMMANDS, type CommandSpec } from "./commands.js";

export function overviewHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `bake ${bakeVersion()}: immutable images with exact, tamper-evident lineage`,
    "",
    "Usage: bake COMMAND [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `bake COMMAND --help` for a command's options and examples.",
    "Exit codes: 0 ok, 1 build or verify failed, 2 bad input, 130 interrupted.",
    "",
  ].join("\n");
}

export function commandHelp(command: CommandSpec): string {
  const options = Object.entries(command.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`;
    return [flag, spec.description] as const;
  });
  options.push(
    ["--no-color", "never colour output (NO_COLOR is honoured too)"],
    ["-h, --help", "show this help"],
  );
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    `${command.usage}`,
    "",
    `  ${command.summary}`,
    "",
    "Options:",
    ...options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    "",
    "Examples:",
    ...command.examples.map((example) => `  $ ${example}`),
    "",
  ].join("\n");
}
