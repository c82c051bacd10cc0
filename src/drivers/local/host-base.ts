import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { LABELS } from "./oci.js";
import type { SandboxBind } from "./sandbox.js";
import type { StoredImage } from "./store.js";

/**
 * The host directories a `host` base shows, read-only. Home directories, /root, /tmp, /work, /srv, /opt, /var,
 * /run and the project are never among them.
 */
export const HOST_BASE_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

/** Whether an image sits on the machine's own OS rather than on layers of its own. */
export function isHostBased(image: StoredImage): boolean {
  return image.config.config?.Labels?.[LABELS.base] === "host";
}

/** Read-only binds of the host's OS directories, for images on a `host` base. */
export function hostBinds(image: StoredImage): SandboxBind[] {
  if (!isHostBased(image)) return [];
  return HOST_BASE_DIRS.filter((dir) => existsSync(dir)).map((dir) => ({
    source: dir,
    target: dir,
    readonly: true,
  }));
}

/** Identifies the host OS, so a `host` base resolves to a different id on a different system. */
export function hostIdentity(): string {
  const release = ["/etc/os-release", "/usr/lib/os-release"].find((file) => existsSync(file));
  const text = release ? readFileSync(release, "utf8") : "unknown";
  return `sha256:${createHash("sha256").update(`${process.arch}\n${text}`).digest("hex")}`;
}
