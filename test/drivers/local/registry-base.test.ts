// Bases from OCI registries for the local driver, against a real docker-registry and real skopeo: resolving
// tags and digests to exact manifests, picking a platform from an index, pulling once with every blob checked,
// and the failures that must leave the store as it was.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ResolvedImage } from "../../../src/drivers/driver.js";
import { createDriver } from "../../../src/drivers/local/index.js";
import { Store } from "../../../src/drivers/local/store.js";
import { BakeError } from "../../../src/errors.js";
import { seedImage, seedIndex, startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { recordingReporter } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "bake-registry-base-"));
let plain: TestRegistry;
let secure: TestRegistry;

beforeAll(async () => {
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
}, 120_000);
afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

let stores = 0;
/** A fresh store and a driver resolving into it, as a client of the test registries. */
function setup(options: { env?: Record<string, string>; platform?: string; signal?: AbortSignal } = {}) {
  const storeDir = join(work, `store-${stores++}`);
  const reporter = recordingReporter();
  const driver = createDriver();
  driver.prepare({ driver: "local", options: options.platform ? { platform: options.platform } : {} });
  const ctx = {
    cwd: work,
    env: { PATH: process.env.PATH ?? "", BAKE_STORE: storeDir, ...plain.env, ...options.env },
    signal: options.signal ?? new AbortController().signal,
    reporter,
  };
  const resolve = (ref: string): Promise<ResolvedImage> =>
    driver.resolve({ kind: "external", ref, scheme: "docker", location: ref.slice("docker://".length) }, ctx);
  const pulls = () =>
    reporter.events.filter((event) => event.type === "note" && event.message.startsWith("pulled ")).length;
  return { storeDir, resolve, pulls };
}

/** Every file name under the store's blobs and index, to show a failure added nothing. */
function storeContents(storeDir: string): { blobs: string[]; index: string; tmp: string[] } {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  const list = (path: string) => {
    try {
      return readdirSync(path).sort();
    } catch {
      return [];
    }
  };
  return {
    blobs: list(join(storeDir, "blobs/sha256")),
    index: read(join(storeDir, "index.json")),
    tmp: list(join(storeDir, "tmp")),
  };
}

async function failure(promise: Promise<unknown>): Promise<BakeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BakeError);
  return error as BakeError;
}

describe("registry bases", () => {
  test("resolves a tag to the exact manifest digest and pulls every blob of it into the store once", async () => {
    const seeded = await seedImage(plain, { repo: "base/tagged", tag: "1" });
    const { storeDir, resolve, pulls } = setup();
    const first = await resolve(seeded.ref);
    expect(first).toMatchObject({ ref: seeded.ref, id: seeded.digest, details: { platform: "linux/amd64" } });
    expect(pulls()).toBe(1);
    const store = await Store.open(storeDir);
    const image = await store.requireImage(seeded.digest);
    // The manifest keeps the registry's bytes, so the store names it by the registry's digest.
    expect(image.manifest.layers).toHaveLength(1);
    expect(storeContents(storeDir).tmp).toEqual([]);
    const again = await resolve(seeded.ref);
    expect(again.id).toBe(seeded.digest);
    expect(pulls()).toBe(1);
  });

  test("follows a tag that moved to the new digest", async () => {
    const before = await seedImage(plain, { repo: "base/moving", tag: "stable", variant: "one" });
    const { resolve } = setup();
    expect((await resolve(before.ref)).id).toBe(before.digest);
    const after = await seedImage(plain, { repo: "base/moving", tag: "stable", variant: "two" });
    expect(after.digest).not.toBe(before.digest);
    expect((await resolve(before.ref)).id).toBe(after.digest);
  });

  test("picks this machine's platform from a multi-platform index pinned by digest, and another when asked", async () => {
    const seeded = await seedIndex(plain, {
      repo: "base/multi",
      tag: "1",
      platforms: ["linux/arm64", "linux/amd64"],
    });
    const pinned = `docker://${plain.host}/base/multi@${seeded.digest}`;
    const amd64 = seeded.manifests.find((entry) => entry.platform === "linux/amd64")?.digest;
    const arm64 = seeded.manifests.find((entry) => entry.platform === "linux/arm64")?.digest;
    const host = setup();
    const resolved = await host.resolve(pinned);
    expect(resolved).toMatchObject({
      id: amd64,
      details: { platform: "linux/amd64", index: seeded.digest },
    });
    const store = await Store.open(host.storeDir);
    const image = await store.requireImage(resolved.id);
    const layer = image.manifest.layers[0]?.digest as string;
    expect(layer).toBeDefined();
    const arm = setup({ platform: "linux/arm64" });
    expect(await arm.resolve(pinned)).toMatchObject({
      id: arm64,
      details: { platform: "linux/arm64", index: seeded.digest },
    });
  });

  test("warns when a single-platform base is not for the platform asked for", async () => {
    const seeded = await seedImage(plain, { repo: "base/arm-only", tag: "1", platform: "linux/arm64" });
    const { resolve } = setup();
    const resolved = await resolve(seeded.ref);
    expect(resolved.details).toEqual({ platform: "linux/arm64" });
    expect(resolved.warnings?.[0]).toContain("is a linux/arm64 image, not linux/amd64");
  });

  test("reuses a digest it has pulled without asking the registry", async () => {
    const registry = await startRegistry();
    const seeded = await seedImage(registry, { repo: "base/offline", tag: "1" });
    const index = await seedIndex(registry, {
      repo: "base/offline",
      tag: "multi",
      platforms: ["linux/amd64", "linux/arm64"],
      variant: "indexed",
    });
    const { resolve, pulls } = setup({ env: registry.env });
    const byDigest = `docker://${registry.host}/base/offline@${seeded.digest}`;
    const byIndex = `docker://${registry.host}/base/offline@${index.digest}`;
    await resolve(byDigest);
    await resolve(byIndex);
    expect(pulls()).toBe(2);
    await registry.stop();
    expect((await resolve(byDigest)).id).toBe(seeded.digest);
    expect((await resolve(byIndex)).details).toMatchObject({ index: index.digest, platform: "linux/amd64" });
    expect(pulls()).toBe(2);
  });

  test("refuses a blob whose bytes do not match its digest and leaves the store as it was", async () => {
    const seeded = await seedImage(plain, { repo: "base/corrupt", tag: "1", variant: "corrupt" });
    const manifest = JSON.parse(readFileSync(plain.blobPath(seeded.digest), "utf8")) as {
      layers: { digest: string }[];
    };
    const path = plain.blobPath(manifest.layers[0]?.digest as string);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff;
    writeFileSync(path, bytes);
    const { storeDir, resolve } = setup();
    await Store.open(storeDir);
    const before = storeContents(storeDir);
    const error = await failure(resolve(seeded.ref));
    expect(error.code).toBe("base-corrupt");
    expect(error.message).toContain(seeded.ref);
    expect(storeContents(storeDir)).toEqual(before);
  });

  test("pulls from a TLS registry with htpasswd auth using the credentials of REGISTRY_AUTH_FILE", async () => {
    const seeded = await seedImage(secure, { repo: "private/base", tag: "1" });
    const auth = secure.auth as NonNullable<TestRegistry["auth"]>;
    const { resolve, pulls } = setup({ env: { REGISTRY_AUTH_FILE: auth.authFile } });
    const resolved = await resolve(seeded.ref);
    expect(resolved.id).toBe(seeded.digest);
    expect(pulls()).toBe(1);
    expect(JSON.stringify(resolved)).not.toContain(auth.password);
  });

  test("says the registry refused a wrong password without showing any credential", async () => {
    const seeded = await seedImage(secure, { repo: "private/refused", tag: "1" });
    const auth = secure.auth as NonNullable<TestRegistry["auth"]>;
    const wrong = `wrong-${auth.password}`;
    const file = join(work, "wrong-auth.json");
    const token = Buffer.from(`${auth.username}:${wrong}`).toString("base64");
    writeFileSync(file, JSON.stringify({ auths: { [secure.host]: { auth: token } } }));
    const { storeDir, resolve } = setup({ env: { REGISTRY_AUTH_FILE: file } });
    const error = await failure(resolve(seeded.ref));
    expect(error.code).toBe("registry-auth");
    const text = `${error.message}\n${error.hint}\n${error.detail}`;
    for (const secret of [wrong, token, auth.password]) expect(text).not.toContain(secret);
    expect(storeContents(storeDir).blobs).toEqual([]);
  });

  test("says a TLS registry whose certificate is not trusted cannot be verified", async () => {
    const seeded = await seedImage(secure, { repo: "private/untrusted", tag: "1" });
    const home = mkdtempSync(join(work, "home-"));
    const auth = secure.auth as NonNullable<TestRegistry["auth"]>;
    const { storeDir, resolve } = setup({ env: { HOME: home, REGISTRY_AUTH_FILE: auth.authFile } });
    const error = await failure(resolve(seeded.ref));
    expect(error.code).toBe("registry-tls");
    expect(error.hint).toContain("certs.d");
    expect(storeContents(storeDir).blobs).toEqual([]);
  });

  test("says a registry that is down cannot be reached", async () => {
    const registry = await startRegistry();
    const seeded = await seedImage(registry, { repo: "base/gone", tag: "1" });
    await registry.stop();
    const { storeDir, resolve } = setup({ env: registry.env });
    const error = await failure(resolve(seeded.ref));
    expect(error.code).toBe("registry-unreachable");
    expect(error.message).toContain(seeded.ref);
    expect(storeContents(storeDir).blobs).toEqual([]);
  });

  test("stops a pull when the build is aborted and leaves the store as it was", async () => {
    const seeded = await seedImage(plain, { repo: "base/big", tag: "1", padBytes: 20_000_000 });
    const controller = new AbortController();
    const { storeDir, resolve } = setup({ signal: controller.signal });
    await Store.open(storeDir);
    const before = storeContents(storeDir);
    const pulling = resolve(seeded.ref);
    // Aborted as soon as skopeo has started writing the pull's scratch directory.
    const started = Date.now();
    while (storeContents(storeDir).tmp.length === 0 && Date.now() - started < 20_000) {
      await new Promise((done) => setTimeout(done, 5));
    }
    controller.abort(new Error("stop"));
    await expect(pulling).rejects.toThrow("stop");
    expect(storeContents(storeDir)).toEqual(before);
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(storeDir);
  });

  test("asks for skopeo to be installed when it is missing", async () => {
    const { resolve } = setup({ env: { PATH: join(work, "empty-path") } });
    const error = await failure(resolve(`docker://${plain.host}/base/tagged:1`));
    expect(error.code).toBe("skopeo-missing");
    expect(error.hint).toContain("apt-get install skopeo");
  });
});
