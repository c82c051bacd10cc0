import { BakeError } from "../../errors.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";

// A literal `import()` each, so the bundler splits them and vitest finds the `.ts` sources.
const SUBCOMMANDS = {
  init: () => import("./manifest-init.js"),
  copy: () => import("./manifest-copy.js"),
  info: () => import("./manifest-info.js"),
} satisfies Record<string, () => Promise<{ run: CommandRun }>>;

/** `bake manifest init|copy|info`: hands over to the subcommand's own module. */
export const run: CommandRun = async (args, io) => {
  const [sub, ...rest] = args.positionals;
  if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub)) {
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
  const module = await SUBCOMMANDS[sub as keyof typeof SUBCOMMANDS]();
  return module.run({ ...args, positionals: rest }, io);
};
