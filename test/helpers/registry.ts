import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { makeBusyboxRootfs } from "../drivers/local/helpers.js";

const exec = promisify(execFile);

/**
 * A throwaway distribution registry (Debian's `docker-registry`) on 127.0.0.1, started by {@link startRegistry}.
 * It stops by itself when the test process exits (and if the process is killed, through a parent-death signal).
 */
export interface TestRegistry {
  /** `127.0.0.1:PORT`: what goes after `docker://`. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  url: string;
  /** Whether it serves TLS with a self-signed certificate. */
  tls: boolean;
  /** The registry's storage root; blobs are under `docker/registry/v2/blobs/sha256/xx/<hex>/data`. */
  storageDir: string;
  /**
   * The environment a skopeo client (or bake) needs to reach this registry: `HOME` is a per-process client
   * home whose `~/.config/containers/registries.conf` marks plain-HTTP registries insecure and whose
   * `~/.config/containers/certs.d/HOST/ca.crt` trusts TLS ones. Every registry this process starts shares it.
   * Credentials are not in it: see `auth`.
   */
  env: { HOME: string };
  /** With `auth: true`: the htpasswd user, the password, and a containers auth file (auth.json) holding them. */
  auth?: { username: string; password: string; authFile: string };
  /** The path of a blob's bytes in the registry's storage, to corrupt it. */
  blobPath(digest: string): string;
  /** Stops the registry and removes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

/** What {@link seedImage} and {@link seedIndex} pushed. */
export interface Seeded {
  /** `docker://HOST/REPO:TAG`. */
  ref: string;
  /** The digest of what the tag now names (a manifest, or an index for {@link seedIndex}). */
  digest: string;
  /** For an index: each platform's manifest digest. */
  manifests: { platform: string; digest: string }[];
}

let clientHome: string | undefined;
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  if (clientHome) rmSync(clientHome, { recursive: true, force: true });
});

// One client home per test process, so a test can reach every registry it started with one HOME.
function sharedClientHome(): string {
  if (!clientHome) {
    clientHome = mkdtempSync(join(tmpdir(), "bake-registry-client-"));
    mkdirSync(join(clientHome, ".config/containers/certs.d"), { recursive: true });
    writeFileSync(join(clientHome, ".config/containers/registries.conf"), "");
  }
  return clientHome;
}

// The registry takes no port 0: ask the kernel for a free port, then hand it over (a rare race retries).
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/**
 * Starts Debian's `docker-registry` on 127.0.0.1 with storage in a temp dir. `tls` serves HTTPS with a
 * self-signed certificate made here with openssl; `auth` requires htpasswd (bcrypt) credentials.
 */
export async function startRegistry(options: { tls?: boolean; auth?: boolean } = {}): Promise<TestRegistry> {
  const tls = options.tls ?? false;
  const dir = mkdtempSync(join(tmpdir(), "bake-registry-"));
  const storageDir = join(dir, "storage");
  await mkdir(storageDir);
  const home = sharedClientHome();
  let auth: TestRegistry["auth"];
  if (options.auth) {
    const username = "bake-test";
    const password = `pw-${createHash("sha256").update(dir).digest("hex").slice(0, 20)}`;
    const { stdout } = await exec("htpasswd", ["-Bbn", username, password]);
    await writeFile(join(dir, "htpasswd"), stdout);
    auth = { username, password, authFile: join(dir, "auth.json") };
  }
  if (tls) {
    await exec("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ]);
  }
  for (let attempt = 0; ; attempt++) {
    const host = `127.0.0.1:${await freePort()}`;
    const config = [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${storageDir}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${host}`,
      ...(tls ? ["  tls:", `    certificate: ${dir}/cert.pem`, `    key: ${dir}/key.pem`] : []),
      ...(auth ? ["auth:", "  htpasswd:", "    realm: bake-test", `    path: ${dir}/htpasswd`] : []),
    ].join("\n");
    await writeFile(join(dir, "config.yml"), `${config}\n`);
    // setpriv's parent-death signal stops the registry even when the test process is killed.
    const child = spawn(
      "setpriv",
      ["--pdeathsig", "KILL", "--", "docker-registry", "serve", join(dir, "config.yml")],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    running.add(child);
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    if (await ready(host, tls, child)) {
      if (tls) {
        const certs = join(home, ".config/containers/certs.d", host);
        await mkdir(certs, { recursive: true });
        await writeFile(join(certs, "ca.crt"), await readFile(join(dir, "cert.pem")));
      } else {
        appendFileSync(
          join(home, ".config/containers/registries.conf"),
          `[[registry]]\nlocation = "${host}"\ninsecure = true\n`,
        );
      }
      if (auth) {
        const token = Buffer.from(`${auth.username}:${auth.password}`).toString("base64");
        await writeFile(auth.authFile, JSON.stringify({ auths: { [host]: { auth: token } } }));
      }
      let stopped = false;
      return {
        host,
        url: `${tls ? "https" : "http"}://${host}`,
        tls,
        storageDir,
        env: { HOME: home },
        ...(auth ? { auth } : {}),
        blobPath: (digest) => {
          const hex = digest.replace(/^sha256:/, "");
          return join(storageDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
        },
        stop: async () => {
          if (stopped) return;
          stopped = true;
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          await exited;
          running.delete(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill("SIGKILL");
    await exited;
    running.delete(child);
    if (attempt >= 3) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    }
  }
}

// Polls GET /v2/ until the registry answers (200, or 401 when it wants credentials) or the process exits.
async function ready(host: string, tls: boolean, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const code = await status(host, tls);
    if (code === 200 || code === 401) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

// The status of GET /v2/, or 0 when nothing answers. The self-signed certificate is not checked here: clients
// under test verify it through certs.d.
function status(host: string, tls: boolean): Promise<number> {
  return new Promise((done) => {
    const get = tls ? httpsGet : httpGet;
    const request = get(
      `${tls ? "https" : "http"}://${host}/v2/`,
      { rejectUnauthorized: false, timeout: 2000 },
      (response) => {
        response.resume();
        done(response.statusCode ?? 0);
      },
    );
    request.once("error", () => done(0));
    request.once("timeout", () => request.destroy());
  });
}

/** Runs skopeo as a client of `registry` (its client HOME and, with auth, its auth file); returns stdout. */
export async function skopeo(registry: TestRegistry, args: readonly string[]): Promise<string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...registry.env };
  if (registry.auth) env.REGISTRY_AUTH_FILE = registry.auth.authFile;
  const { stdout } = await exec("skopeo", [...args], { env, maxBuffer: 64 << 20 });
  return stdout;
}

interface ImageSpec {
  /** Written to /etc/variant in the image, so two variants have different layers and digests. @default "a" */
  variant?: string;
  /** `os/arch` in the image config. @default linux/amd64 */
  platform?: string;
  /** Adds /var/pad of this many incompressible (but deterministic) bytes, to make a big layer. @default 0 */
  padBytes?: number;
}

/**
 * Pushes a busybox image, made offline as an OCI layout, to `docker://HOST/REPO:TAG` with `skopeo copy`.
 * Seeding the same tag with another `variant` moves the tag.
 */
export async function seedImage(
  registry: TestRegistry,
  input: {
    repo: string;
    tag: string;
    /** `v2s2` pushes a Docker schema 2 manifest (skopeo converts it, so it gets another digest). @default oci */
    format?: "oci" | "v2s2";
  } & ImageSpec,
): Promise<Seeded> {
  const layout = await ociLayout([input]);
  try {
    const ref = `docker://${registry.host}/${input.repo}:${input.tag}`;
    const format = input.format === "v2s2" ? ["--format", "v2s2"] : [];
    await skopeo(registry, ["copy", "--quiet", ...format, `oci:${layout.dir}:seed`, ref]);
    const digest =
      input.format === "v2s2"
        ? (await skopeo(registry, ["inspect", "--format", "{{.Digest}}", ref])).trim()
        : layout.top;
    return { ref, digest, manifests: [] };
  } finally {
    await rm(layout.dir, { recursive: true, force: true });
  }
}

/**
 * Pushes a multi-platform OCI image index (one busybox manifest per platform, each with /etc/platform naming
 * it, in the order given) to `docker://HOST/REPO:TAG` with `skopeo copy --all`.
 */
export async function seedIndex(
  registry: TestRegistry,
  input: { repo: string; tag: string; platforms: string[]; variant?: string },
): Promise<Seeded> {
  const layout = await ociLayout(input.platforms.map((platform) => ({ platform, variant: input.variant })));
  try {
    const ref = `docker://${registry.host}/${input.repo}:${input.tag}`;
    await skopeo(registry, ["copy", "--quiet", "--all", `oci:${layout.dir}:seed`, ref]);
    return { ref, digest: layout.top, manifests: layout.manifests };
  } finally {
    await rm(layout.dir, { recursive: true, force: true });
  }
}

// Writes an OCI image layout whose `seed` tag names one manifest, or an index of several.
async function ociLayout(specs: ImageSpec[]): Promise<{
  dir: string;
  top: string;
  manifests: { platform: string; digest: string }[];
}> {
  const dir = mkdtempSync(join(tmpdir(), "bake-seed-"));
  await mkdir(join(dir, "blobs/sha256"), { recursive: true });
  const blob = async (bytes: Buffer) => {
    const hex = createHash("sha256").update(bytes).digest("hex");
    await writeFile(join(dir, "blobs/sha256", hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const manifests: { platform: string; digest: string; size: number }[] = [];
  for (const spec of specs) {
    const platform = spec.platform ?? "linux/amd64";
    const [os, architecture] = platform.split("/") as [string, string];
    const rootfs = makeBusyboxRootfs(mkdtempSync(join(tmpdir(), "bake-seed-rootfs-")));
    try {
      await writeFile(join(rootfs, "etc/variant"), `${spec.variant ?? "a"}\n`);
      await writeFile(join(rootfs, "etc/platform"), `${platform}\n`);
      if (spec.padBytes)
        await writeFile(join(rootfs, "var/pad"), padding(spec.padBytes, spec.variant ?? "a"));
      const { stdout: tar } = await exec(
        "tar",
        ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", rootfs, "-c", "."],
        { encoding: "buffer", maxBuffer: 1 << 30 },
      );
      const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
      const layer = await blob(gzipSync(tar));
      const config = await blob(
        Buffer.from(
          JSON.stringify({
            created: "1970-01-01T00:00:00Z",
            architecture,
            os,
            config: { Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"] },
            rootfs: { type: "layers", diff_ids: [diffId] },
            history: [{ created: "1970-01-01T00:00:00Z", created_by: "bake test seed" }],
          }),
        ),
      );
      const manifest = await blob(
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
            layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
          }),
        ),
      );
      manifests.push({ platform, ...manifest });
    } finally {
      await rm(rootfs, { recursive: true, force: true });
    }
  }
  const descriptor = (m: (typeof manifests)[number]) => {
    const [os, architecture] = m.platform.split("/") as [string, string];
    return {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: m.digest,
      size: m.size,
      platform: { architecture, os },
    };
  };
  let top: { mediaType: string; digest: string; size: number };
  if (specs.length === 1) {
    top = { ...descriptor(manifests[0] as (typeof manifests)[number]) };
  } else {
    const index = await blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: manifests.map(descriptor),
        }),
      ),
    );
    top = { mediaType: "application/vnd.oci.image.index.v1+json", ...index };
  }
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: top.mediaType,
          digest: top.digest,
          size: top.size,
          annotations: { "org.opencontainers.image.ref.name": "seed" },
        },
      ],
    }),
  );
  return {
    dir,
    top: top.digest,
    manifests: manifests.map(({ platform, digest }) => ({ platform, digest })),
  };
}

// Deterministic incompressible bytes: AES-CTR over zeros, keyed by the variant.
function padding(size: number, variant: string): Buffer {
  const key = createHash("sha256").update(variant).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}
