import { readFileSync } from "node:fs";

// Read once, lazily: package.json sits one level above both src/ and dist/.
let cached: string | undefined;

/** The running bake's version, from package.json. */
export function bakeVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
