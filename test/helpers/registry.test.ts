import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedImage, seedIndex, skopeo, startRegistry, type TestRegistry } from "./registry.js";

const exec = promisify(execFile);

describe("the test registry helper", () => {
  let plain: TestRegistry;
  let secure: TestRegistry;
  beforeAll(async () => {
    [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: true })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop()]);
  });

  it("seeds an image that skopeo reads back by the digest it reported", async () => {
    const seeded = await seedImage(plain, { repo: "base/busybox", tag: "1" });
    const raw = await skopeo(plain, ["inspect", "--raw", seeded.ref]);
    expect(`sha256:${await sha256(raw)}`).toBe(seeded.digest);
    const again = await seedImage(plain, { repo: "base/busybox", tag: "1", variant: "b" });
    expect(again.digest).not.toBe(seeded.digest);
    const moved = await skopeo(plain, ["inspect", "--format", "{{.Digest}}", seeded.ref]);
    expect(moved.trim()).toBe(again.digest);
  });

  it("seeds a multi-platform index whose manifests are all in the registry", async () => {
    const seeded = await seedIndex(plain, {
      repo: "multi",
      tag: "latest",
      platforms: ["linux/arm64", "linux/amd64"],
    });
    const index = JSON.parse(await skopeo(plain, ["inspect", "--raw", seeded.ref]));
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual(
      seeded.manifests.map((m) => m.digest),
    );
    const arm = seeded.manifests[0]?.digest;
    const config = JSON.parse(
      await skopeo(plain, ["inspect", "--config", "--raw", `docker://${plain.host}/multi@${arm}`]),
    );
    expect(config.architecture).toBe("arm64");
  });

  it("serves TLS with htpasswd auth that only the auth file's credentials open", async () => {
    const seeded = await seedImage(secure, { repo: "private/base", tag: "1" });
    expect(secure.url.startsWith("https://")).toBe(true);
    const raw = await skopeo(secure, ["inspect", "--raw", seeded.ref]);
    expect(JSON.parse(raw).schemaVersion).toBe(2);
    const anonymous = await exec("skopeo", ["inspect", "--raw", seeded.ref], {
      env: { PATH: process.env.PATH ?? "", ...secure.env, REGISTRY_AUTH_FILE: "/nonexistent/auth.json" },
    }).catch((error: { stderr: string }) => error);
    expect("stderr" in anonymous && anonymous.stderr).toMatch(/unauthorized|authentication required/i);
  });

  it("keeps blobs where a test can corrupt them", async () => {
    const seeded = await seedImage(plain, { repo: "corruptible", tag: "1" });
    const manifest = JSON.parse(await skopeo(plain, ["inspect", "--raw", seeded.ref]));
    const bytes = await readFile(plain.blobPath(manifest.layers[0].digest));
    expect(`sha256:${await sha256(bytes)}`).toBe(manifest.layers[0].digest);
  });
});

async function sha256(data: string | Buffer): Promise<string> {
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(data).digest("hex");
}
