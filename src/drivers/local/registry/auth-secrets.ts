import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Every credential in the auth files skopeo may read (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.config/containers/auth.json`, `~/.docker/config.json`), as secret values for a redactor: each `auth` token,
 * the password inside it, and identity or registry tokens. bake only reads them to hide them.
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
  ];
  const secrets: Record<string, string> = {};
  for (const file of files) {
    if (!file) continue;
    let auths: Record<string, Record<string, unknown>>;
    try {
      auths = (JSON.parse(await readFile(file, "utf8")) as { auths?: typeof auths }).auths ?? {};
    } catch {
      continue; // A missing or unreadable file holds nothing skopeo could print.
    }
    for (const entry of Object.values(auths)) {
      for (const key of ["auth", "identitytoken", "registrytoken", "password"]) {
        const value = entry?.[key];
        if (typeof value !== "string" || value === "") continue;
        secrets[`${file}#${Object.keys(secrets).length}`] = value;
        if (key !== "auth") continue;
        const decoded = Buffer.from(value, "base64").toString("utf8");
        const password = decoded.slice(decoded.indexOf(":") + 1);
        if (decoded.includes(":") && password !== "")
          secrets[`${file}#${Object.keys(secrets).length}`] = password;
      }
    }
  }
  return secrets;
}
