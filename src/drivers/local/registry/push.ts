import { join } from "node:path";
import { BakeError } from "../../../errors.js";
import { copyFile, link, readFile, rm, writeFile } from "../../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../../util/make-directories.js";
import type { PushResult, RegistryCredentials } from "../../driver.js";
import { digestHex, OCI_LAYOUT_FILE, singleImageIndex } from "../oci.js";
import type { Store } from "../store.js";
import { parseDestination } from "./destination.js";
import { skopeo } from "./skopeo.js";

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
    await makeDirectoriesAsync(join(layout, "blobs", "sha256"));
    const manifestBytes = await store.readBlob(image.id);
    for (const digest of new Set([
      image.id,
      image.manifest.config.digest,
      ...image.manifest.layers.map((l) => l.digest),
    ])) {
      await linkBlob(store.blobPath(digest), join(layout, "blobs", "sha256", digestHex(digest)));
    }
    const index = singleImageIndex({ ...image, manifestSize: manifestBytes.length });
    await writeFile(join(layout, "oci-layout"), OCI_LAYOUT_FILE);
    await writeFile(join(layout, "index.json"), JSON.stringify(index));
    const authFile = input.credentials
      ? await writeAuthFile(join(scratch, "auth.json"), destination.host, input.credentials)
      : input.authFile;
    const digestFile = join(scratch, "digest");
    await skopeo(
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
      {
        env: input.env,
        signal: input.signal,
        ref: destination.ref,
        action: "push",
        ...(input.credentials ? { secrets: credentialSecrets(input.credentials) } : {}),
      },
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
  await writeFile(path, JSON.stringify({ auths: { [host]: { auth: token } } }), { flag: "wx", mode: 0o600 });
  return path;
}

// The password, and the token the auth file holds, hidden in skopeo's messages like the auth files' own.
function credentialSecrets(credentials: RegistryCredentials): Record<string, string> {
  const token = Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64");
  return { password: credentials.password, token };
}
