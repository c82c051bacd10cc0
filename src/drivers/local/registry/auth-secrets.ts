import { homedir } from "node:os";
import { join } from "node:path";
import { readFile } from "../../../util/fs-async.js";

/**
 * The credentials in the auth files skopeo may read (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.config/containers/auth.json`, `~/.docker/config.json`), as secret values for a redactor: each `auth`
 * token, the password inside it, and identity tokens. bake never passes them to skopeo; it only hides them.
 */
export async function authSecrets(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string>> {
  const home = env.HOME ?? homedir();
  const files = [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "containers/auth.json") : undefined,
    join(home, ".config/containers/auth.json"),
    join(home, ".docker/config.json"),
  ].filter((file): file is string => file !== undefined);
  const secrets: Record<string, string> = {};
  let count = 0;
  for (const file of files) {
    let parsed: { auths?: Record<string, Record<string, unknown>> };
    try {
      parsed = JSON.parse(await readFile(file, "utf8"));
    } catch {
      continue; // A missing or unreadable file holds nothing skopeo could echo.
    }
    for (const entry of Object.values(parsed.auths ?? {})) {
      for (const key of ["auth", "identitytoken", "registrytoken", "password"]) {
        const value = entry?.[key];
        if (typeof value !== "string" || value === "") continue;
        secrets[`auth${count++}`] = value;
        if (key === "auth") {
          const decoded = Buffer.from(value, "base64").toString("utf8");
          const colon = decoded.indexOf(":");
          if (colon >= 0 && colon < decoded.length - 1) secrets[`auth${count++}`] = decoded.slice(colon + 1);
        }
      }
    }
  }
  return secrets;
}
