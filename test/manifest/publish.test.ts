import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkManifest } from "../../src/manifest/fsck.js";
import { findByImageDigest } from "../../src/manifest/image-digest.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { debianBase, fakeDigest, imageInput, layerInput, tempManifest } from "./helpers.js";

const DESTINATION = "docker://127.0.0.1:5000/web:1.0.0";

async function published() {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true });
  const layer = await manifest.register(layerInput({ lineage: "web", name: "app", parent: debianBase }));
  const image = await manifest.register(imageInput({ lineage: "web", parent: debianBase }));
  const digest = fakeDigest("registry manifest of web 1.0.0");
  const event = await manifest.appendEvent({
    event: "publish",
    target: image.id,
    destination: DESTINATION,
    digest,
  });
  return { path, manifest, layer, image, digest, event };
}

describe("publish events", () => {
  it("record the destination and the pushed digest, and fsck accepts them", async () => {
    const { path, manifest, image, digest, event } = await published();
    expect(event).toMatchObject({
      type: "event",
      event: "publish",
      target: image.id,
      lineage: "web",
      digest,
    });
    expect(manifest.publications(image.id)).toEqual([
      { target: image.id, destination: DESTINATION, digest, at: event.at, event: event.id },
    ]);
    const reopened = await openManifest(path);
    expect(reopened.published(digest).map((p) => p.target)).toEqual([image.id]);
    expect(await checkManifest(path)).toMatchObject({ ok: true, events: 1, problems: [] });
  });

  it("are part of the hash chain: an edited destination is caught by fsck", async () => {
    const { path } = await published();
    writeFileSync(path, readFileSync(path, "utf8").replace("web:1.0.0", "web:6.6.6"));
    const report = await checkManifest(path);
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.code)).toContain("id-mismatch");
  });

  it("refuse a destination with credentials, a layer record and a digest that is not sha256", async () => {
    const { manifest, layer, image, digest } = await published();
    await expect(
      manifest.appendEvent({
        event: "publish",
        target: image.id,
        destination: "docker://user:hunter2@registry/web:1",
        digest,
      }),
    ).rejects.toMatchObject({ code: "event-invalid" });
    await expect(
      manifest.appendEvent({ event: "publish", target: layer.id, destination: DESTINATION, digest }),
    ).rejects.toMatchObject({ code: "event-refused" });
    await expect(
      manifest.appendEvent({
        event: "publish",
        target: image.id,
        destination: DESTINATION,
        digest: "md5:abc",
      }),
    ).rejects.toMatchObject({ code: "event-invalid" });
  });

  it("refuse to record a push of a revoked image", async () => {
    const { manifest, image, digest } = await published();
    await manifest.appendEvent({ event: "revoke", target: image.id, reason: "CVE-1", cascade: false });
    await expect(
      manifest.appendEvent({ event: "publish", target: image.id, destination: DESTINATION, digest }),
    ).rejects.toMatchObject({ code: "event-refused" });
  });
});

describe("findByImageDigest", () => {
  it("finds a record from the digest a registry holds after a push, or from its artifact", async () => {
    const { manifest, image, digest, event } = await published();
    expect(findByImageDigest(manifest, digest)).toMatchObject({
      record: { id: image.id },
      via: "published",
      publication: { event: event.id },
    });
    expect(findByImageDigest(manifest, image.artifact)).toMatchObject({
      record: { id: image.id },
      via: "artifact",
    });
    expect(findByImageDigest(manifest, fakeDigest("nothing"))).toBeUndefined();
    expect(findByImageDigest(manifest, "")).toBeUndefined();
  });

  it("prefers the newest push of a digest", async () => {
    const { manifest, digest } = await published();
    const newer = await manifest.register(
      imageInput({ lineage: "web", parent: debianBase, version: "1.0.1" }),
    );
    await manifest.appendEvent({ event: "publish", target: newer.id, destination: DESTINATION, digest });
    expect(findByImageDigest(manifest, digest)?.record.id).toBe(newer.id);
  });
});
