import { copyFile, link, mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BakeError } from "../../../errors.js";
import type { PushResult, RegistryCredentials } from "../../driver.js";
import { createRedactor } from "../../redact.js";
import { digestHex, type ImageIndex, MEDIA } from "../oci.js";
import type { Store } from "../store.js";
import { authSecrets } from "./auth-secrets.js";
import { parseDestination } from "./destination.js";

/** What one push needs. */
export interface PushImageInput {
  store: Store;
  /** The manifest digest of the image in the store. */
  image: string;
  /** `docker://REGISTRY/REPO:TAG`. */
  destination: string;
  /** skopeo's whole environment: `HOME`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR` and proxies steer it. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  authFile?: string;
  credentials?: RegistryCredentials;
}

/**
 * Pushes one image of the store with `skopeo copy --preserve-digests`: from an OCI layout made of hard links to
 * the store's blobs (no bytes copied), so the registry receives the manifest's exact bytes and names the image
 * by the same digest the store does. skopeo reads registries.conf, certs.d and the usual auth files itself;
 * credentials from secret variables reach it through a 0600 auth file, never its arguments.
 * Returns the digest skopeo says the registry holds (`--digestfile`).
 */
export async function pushImage(input: PushImageInput): Promise<PushResult> {
  const destination = parseDestination(input.destination);
  const { store } = input;
  await store.hold(input.image);
  const image = await store.requireImage(input.image);
  const scratch = store.tempPath("push");
  try {
    const layout = join(scratch, "layout");
    await mkdir(join(layout, "blobs", "sha256"), { recursive: true });
    const manifestBytes = await store.readBlob(image.id);
    for (const digest of new Set([
      image.id,
      image.manifest.config.digest,
      ...image.manifest.layers.map((l) => l.digest),
    ])) {
      await linkBlob(store.blobPath(digest), join(layout, "blobs", "sha256", digestHex(digest)));
    }
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: image.manifest.mediaType ?? MEDIA.manifest,
          digest: image.id,
          size: manifestBytes.length,
        },
      ],
    };
    await writeFile(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(layout, "index.json"), JSON.stringify(index));
    const authFile = input.credentials
      ? await writeAuthFile(join(scratch, "auth.json"), destination.host, input.credentials)
      : input.authFile;
    const digestFile = join(scratch, "digest");
    await runSkopeo(
      [
        "copy",
        "--quiet",
        "--preserve-digests",
        "--retry-times",
        "2",
        "--digestfile",
        digestFile,
        ...(authFile ? ["--dest-authfile", authFile] : []),
        `oci:${layout}`,
        destination.ref,
      ],
      { ...input, ref: destination.ref },
    );
    const digest = (await readFile(digestFile, "utf8")).trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new BakeError({
        code: "push-failed",
        message: `skopeo pushed ${destination.ref} but reported no digest`,
      });
    }
    return { destination: destination.ref, digest };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// A hard link shares the store's bytes; a store on a filesystem without them gets a copy.
async function linkBlob(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

// Created with mode 0600 before a byte is written, so no other user ever sees the credentials.
async function writeAuthFile(path: string, host: string, credentials: RegistryCredentials): Promise<string> {
  const token = Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64");
  const handle = await open(path, "wx", 0o600);
  try {
    await handle.writeFile(JSON.stringify({ auths: { [host]: { auth: token } } }));
  } finally {
    await handle.close();
  }
  return path;
}

async function runSkopeo(args: readonly string[], options: PushImageInput & { ref: string }): Promise<void> {
  // Loaded on first use: only a push needs a process runner here.
  const { execa } = await import("execa");
  const conf = options.env.CONTAINERS_REGISTRIES_CONF;
  const result = await execa("skopeo", [...(conf ? ["--registries-conf", conf] : []), ...args], {
    env: options.env,
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    cancelSignal: options.signal,
    maxBuffer: 16 << 20,
  });
  if (!result.failed) return;
  if ((result as { code?: string }).code === "ENOENT") {
    throw new BakeError({
      code: "skopeo-missing",
      message: `pushing to a registry (${options.ref}) needs skopeo, which is not installed`,
      hint: "install it: apt-get install skopeo (Debian, Ubuntu) or dnf install skopeo (Fedora)",
    });
  }
  if (result.isCanceled) throw options.signal.reason ?? new Error("aborted");
  const secrets: Record<string, string> = { ...(await authSecrets(options.env)) };
  if (options.credentials) {
    secrets.password = options.credentials.password;
    secrets.token = Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString(
      "base64",
    );
  }
  throw pushError(createRedactor(secrets)(String(result.stderr)), options.ref);
}

const KINDS: { code: string; pattern: RegExp; message: string; hint: string }[] = [
  {
    code: "registry-auth",
    pattern: /unauthorized|authentication required|invalid username\/password|denied|\b401\b/i,
    message: "the registry refused the credentials (or asked for some)",
    hint: "log in (skopeo login HOST), pass --authfile FILE, or set the recipe's publish credentials from secret variables",
  },
  {
    code: "registry-tls",
    pattern: /x509|certificate|tls:|server gave HTTP response to HTTPS client/i,
    message: "the registry's TLS could not be verified",
    hint: "trust its CA in /etc/containers/certs.d/HOST:PORT/ca.crt (or ~/.config/containers/certs.d), or mark a plain-HTTP registry insecure in registries.conf",
  },
  {
    code: "registry-unreachable",
    pattern:
      /connection refused|no such host|dial tcp|i\/o timeout|network is unreachable|connection reset|EOF/i,
    message: "the registry cannot be reached",
    hint: "check the registry's address and that it is up",
  },
];

// skopeo's last line says what failed; it is kept (redacted) as the error's detail.
function pushError(stderr: string, ref: string): BakeError {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  const last = (lines.at(-1) ?? "skopeo failed").replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, "$1");
  const kind = KINDS.find((candidate) => candidate.pattern.test(stderr));
  return new BakeError({
    code: kind?.code ?? "push-failed",
    message: `cannot push to ${ref}: ${kind?.message ?? "skopeo failed"}`,
    hint: kind?.hint ?? "see skopeo's message below",
    detail: `skopeo: ${last}`,
  });
}
