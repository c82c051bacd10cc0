import { BakeError } from "../../errors.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";

const SUBCOMMANDS = ["init", "copy", "info"] as const;

/** `bake manifest init|copy|info`: hands over to the subcommand's own module. */
export const run: CommandRun = async (args, io) => {
  const [sub, ...rest] = args.positionals;
  if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
    throw new BakeError({
      code: "usage",
      message: `manifest: unknown subcommand "${printable(sub ?? "")}"`,
      hint: "usage: bake manifest init|info [--manifest LOCATION] [--json], or bake manifest copy SRC DST",
    });
  }
  const expected: number = sub === "copy" ? 2 : 0;
  if (rest.length !== expected) {
    throw new BakeError({
      code: "usage",
      message: `manifest ${sub}: expected ${expected} argument${expected === 1 ? "" : "s"} after "${sub}", got ${rest.length}`,
      hint:
        sub === "copy"
          ? "usage: bake manifest copy SRC DST"
          : `usage: bake manifest ${sub} [--manifest LOCATION] [--json]`,
    });
  }
  const modulePath = `./manifest-${sub}.js`;
  const module = (await import(/* @vite-ignore */ modulePath)) as { run: CommandRun };
  return module.run({ ...args, positionals: rest }, io);
};
