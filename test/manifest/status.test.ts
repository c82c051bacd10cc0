import { describe, expect, it } from "vitest";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, tempManifest } from "./helpers.js";

async function fleet() {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  return { manifest, path, ...(await buildFleet(manifest)) };
}

describe("status derived from events", () => {
  it("is active with the channels that point at an image", async () => {
    const { manifest, web2, web1 } = await fleet();
    expect(manifest.status(web2.id)).toEqual({ status: "active", channels: ["stable"] });
    expect(manifest.status(web1.id)).toEqual({ status: "active", channels: [] });
  });

  it("is deprecated with its reason, and the record line is never rewritten", async () => {
    const { manifest, path, web1 } = await fleet();
    const { readFileSync } = await import("node:fs");
    const before = readFileSync(path, "utf8");
    const event = await manifest.appendEvent({
      event: "deprecate",
      target: web1.id,
      reason: "superseded by 2.1",
    });
    expect(manifest.status(web1.id)).toMatchObject({
      status: "deprecated",
      reason: "superseded by 2.1",
      event: event.id,
    });
    expect(readFileSync(path, "utf8").startsWith(before)).toBe(true);
  });

  it("revokes only the image without --cascade, and every descendant with it", async () => {
    const { manifest, base2, base3, web1, web2, web3, app } = await fleet();
    await manifest.appendEvent({ event: "revoke", target: base2.id, reason: "bad openssl", cascade: false });
    expect(manifest.status(base2.id)).toMatchObject({ status: "revoked", reason: "bad openssl" });
    expect(manifest.status(web1.id).status).toBe("active");

    const event = await manifest.appendEvent({
      event: "revoke",
      target: base3.id,
      reason: "CVE-2026-1234",
      cascade: true,
    });
    for (const record of [web2, web3, app]) {
      expect(manifest.status(record.id)).toMatchObject({
        status: "revoked",
        reason: "CVE-2026-1234",
        event: event.id,
        inheritedFrom: base3.id,
      });
    }
    expect(manifest.descendants(base3.id).map((r) => r.id)).toEqual([app.id, web2.id, web3.id]);
    // A revoked layer is no longer offered as a cache hit.
    expect(manifest.findLayer(app.layer?.cacheKey as string, "local")).toBeUndefined();
  });

  it("re-reads to the same status from the file alone", async () => {
    const { manifest, path, base3, web2 } = await fleet();
    await manifest.appendEvent({ event: "revoke", target: base3.id, reason: "CVE", cascade: true });
    const fresh = await openManifest(path);
    expect(fresh.status(web2.id)).toEqual(manifest.status(web2.id));
  });

  it("refuses to revoke an image whose ancestor is revoked, and says what to do", async () => {
    const { manifest, base3, web2 } = await fleet();
    await manifest.appendEvent({ event: "revoke", target: base3.id, reason: "CVE", cascade: false });
    await expect(
      manifest.appendEvent({ event: "revoke", target: web2.id, reason: "also bad", cascade: false }),
    ).rejects.toMatchObject({
      code: "event-refused",
      message: expect.stringContaining("is built on base#3"),
      hint: expect.stringContaining("bake revoke base#3 --cascade"),
    });
    // Extending the ancestor's revocation to its descendants is allowed.
    await manifest.appendEvent({ event: "revoke", target: base3.id, reason: "CVE", cascade: true });
    expect(manifest.status(web2.id)).toMatchObject({ status: "revoked", inheritedFrom: base3.id });
    await expect(
      manifest.appendEvent({ event: "revoke", target: web2.id, reason: "again", cascade: false }),
    ).rejects.toThrow(/that revocation cascades, so this image is revoked already/);
  });

  it("refuses to promote a revoked image or a layer record", async () => {
    const { manifest, web1, app } = await fleet();
    await manifest.appendEvent({ event: "revoke", target: web1.id, reason: "broken", cascade: false });
    await expect(
      manifest.appendEvent({ event: "promote", target: web1.id, channel: "stable" }),
    ).rejects.toThrow(/is revoked \(broken\); a revoked image cannot be promoted/);
    await expect(
      manifest.appendEvent({ event: "promote", target: app.id, channel: "stable" }),
    ).rejects.toThrow(/is a layer record/);
    await expect(
      manifest.appendEvent({ event: "promote", target: web1.id, channel: "Stable!" }),
    ).rejects.toThrow(/not a channel name/);
  });

  it("keeps the newest observation of each server", async () => {
    const { manifest, web2, web3 } = await fleet();
    await manifest.appendEvent({ event: "observe", target: web2.id, server: "web-17" });
    await manifest.appendEvent({ event: "observe", target: web2.id, server: "web-18" });
    await manifest.appendEvent({ event: "observe", target: web3.id, server: "web-17" });
    expect(manifest.observations(web2.id).map((o) => o.server)).toEqual(["web-18"]);
    expect(manifest.server("web-17")?.target).toBe(web3.id);
  });

  it("gives the ancestry down to the external base with its resolved id", async () => {
    const { manifest, web2, base3 } = await fleet();
    const ancestry = manifest.ancestry(web2.id);
    expect(ancestry.chain.map((r) => r.id)).toEqual([web2.id, base3.id]);
    expect(ancestry.base).toEqual({
      ref: "docker-archive:./debian.tar",
      id: expect.stringMatching(/^sha256:/),
    });
  });

  it("takes any reference resolve takes in status, ancestry and descendants, not only full ids", async () => {
    const { manifest, web2, base3 } = await fleet();
    const short = web2.id.slice("sha256:".length, "sha256:".length + 12);
    for (const ref of ["web@stable", "web#2", short, `sha256:${short}`, web2.id]) {
      expect(manifest.status(ref)).toEqual(manifest.status(web2.id));
      expect(manifest.ancestry(ref).chain.map((record) => record.id)).toEqual(
        manifest.ancestry(web2.id).chain.map((record) => record.id),
      );
    }
    expect(manifest.descendants("base@stable")).toEqual(manifest.descendants(base3.id));
    expect(manifest.descendants("base#3").length).toBeGreaterThan(0);
    expect(() => manifest.status("web@nightly")).toThrow(
      expect.objectContaining({ code: "ref-not-found", message: expect.stringContaining('"web@nightly"') }),
    );
    expect(() => manifest.ancestry(`sha256:${"0".repeat(64)}`)).toThrow(
      expect.objectContaining({ code: "ref-not-found" }),
    );
  });
});
