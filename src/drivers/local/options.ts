import { isAbsolute, resolve } from "node:path";
import type { PrepareResult } from "../driver.js";
import { parsePlatform } from "./registry/platform.js";

/** The local driver's target options, as a recipe's `target.options` gives them. */
export interface LocalOptions {
  /** `host` shares the machine's network; `none` gives each sandbox an empty network namespace. @default host */
  network: "host" | "none";
  /** The image store directory. @default $BAKE_STORE, else `.bake` in the working directory */
  store?: string;
  /**
   * `os/arch[/variant]` to pick from a `docker://` base that is a multi-platform image index.
   * @default this machine's (linux/amd64, linux/arm64, ...)
   */
  platform?: string;
}

const KNOWN = ["network", "store", "platform"];

/** Checks target options without side effects. */
export function checkOptions(options: Readonly<Record<string, unknown>>): PrepareResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key))
      errors.push(`unknown local driver option "${key}" (known: ${KNOWN.join(", ")})`);
  }
  const network = options.network;
  if (network !== undefined && network !== "host" && network !== "none") {
    errors.push(`target option network must be "host" or "none", not ${JSON.stringify(network)}`);
  }
  const store = options.store;
  if (store !== undefined && (typeof store !== "string" || store === "")) {
    errors.push("target option store must be a non-empty path");
  } else if (typeof store === "string" && /[,:\\]/.test(store)) {
    errors.push(
      `target option store must not contain commas, colons or backslashes (overlayfs cannot take them): ${store}`,
    );
  }
  const platform = options.platform;
  if (platform !== undefined && (typeof platform !== "string" || !parsePlatform(platform))) {
    errors.push(
      `target option platform must be os/arch or os/arch/variant, such as linux/amd64, not ${JSON.stringify(platform)}`,
    );
  }
  return { errors, warnings };
}

/** Reads validated options, applying defaults. */
export function readOptions(options: Readonly<Record<string, unknown>>): LocalOptions {
  return {
    network: options.network === "none" ? "none" : "host",
    store: typeof options.store === "string" ? options.store : undefined,
    ...(typeof options.platform === "string" ? { platform: options.platform } : {}),
  };
}

/** Where the store lives: the `store` option, else `BAKE_STORE`, else `.bake` under `cwd`. */
export function storePath(input: {
  option?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): string {
  const chosen = input.option ?? input.env.BAKE_STORE ?? ".bake";
  return isAbsolute(chosen) ? chosen : resolve(input.cwd, chosen);
}
