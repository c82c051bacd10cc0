import { describe, expect, it } from "vitest";
import { BakeError } from "../../src/errors.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, layerInput, tempManifest } from "./helpers.js";

async function fleet() {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  return { manifest, path, ...(await buildFleet(manifest)) };
}

function errorOf(run: () => unknown): BakeError {
  try {
    run();
  } catch (error) {
    if (error instanceof BakeError) return error;
    throw error;
  }
  throw new Error("expected a BakeError");
}

describe("resolving references", () => {
  it("resolves a full id, with or without the sha256: prefix", async () => {
    const { manifest, web2 } = await fleet();
    expect(manifest.resolve(web2.id).id).toBe(web2.id);
    expect(manifest.resolve(web2.id.slice("sha256:".length)).id).toBe(web2.id);
  });

  it("resolves a unique short prefix of at least 4 hex digits", async () => {
    const { manifest, web2 } = await fleet();
    const hex = web2.id.slice("sha256:".length);
    expect(manifest.resolve(hex.slice(0, 12)).id).toBe(web2.id);
    expect(manifest.resolve(`sha256:${hex.slice(0, 10)}`).id).toBe(web2.id);
  });

  it("resolves a lineage to its newest active image, skipping revoked ones", async () => {
    const { manifest, web2, web3 } = await fleet();
    expect(manifest.resolve("web").id).toBe(web3.id);
    await manifest.appendEvent({ event: "revoke", target: web3.id, reason: "broken", cascade: false });
    expect(manifest.resolve("web").id).toBe(web2.id);
  });

  it("resolves lineage@channel, lineage@version and lineage#build", async () => {
    const { manifest, base3, web1, web2, web3 } = await fleet();
    expect(manifest.resolve("web@stable").id).toBe(web2.id);
    expect(manifest.resolve("web@canary").id).toBe(web3.id);
    expect(manifest.resolve("base@stable").id).toBe(base3.id);
    expect(manifest.resolve("web@2.0.0").id).toBe(web1.id);
    // Two builds carry 2.1.0: the newest wins.
    expect(manifest.resolve("web@2.1.0").id).toBe(web3.id);
    expect(manifest.resolve("web#1").id).toBe(web1.id);
    expect(manifest.resolve("base#3").id).toBe(base3.id);
  });

  it("follows a channel to the image promoted last", async () => {
    const { manifest, web3 } = await fleet();
    await manifest.appendEvent({ event: "promote", target: web3.id, channel: "stable" });
    expect(manifest.resolve("web@stable").id).toBe(web3.id);
  });

  it("refuses an ambiguous prefix and lists the candidates", async () => {
    const { path } = tempManifest();
    const manifest = await openManifest(path, { create: true, env: {} });
    const byPrefix = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined && i < 5000; i++) {
      const record = await manifest.register(
        layerInput({
          lineage: "base",
          name: "runtime",
          parent: { external: { ref: "scratch", id: `s${i}` } },
        }),
      );
      const prefix = record.id.slice(7, 11);
      const other = byPrefix.get(prefix);
      if (other) pair = [other, record.id];
      byPrefix.set(prefix, record.id);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair as [string, string];
    const error = errorOf(() => manifest.resolve(a.slice(7, 11)));
    expect(error.code).toBe("ref-ambiguous");
    expect(error.message).toContain("is ambiguous");
    expect(error.detail).toContain(a);
    expect(error.detail).toContain(b);
    // One more digit than they share picks one.
    let shared = 4;
    while (a[7 + shared] === b[7 + shared]) shared++;
    expect(manifest.resolve(a.slice(7, 7 + shared + 1)).id).toBe(a);
  }, 60_000);

  it("explains references that match nothing", async () => {
    const { manifest } = await fleet();
    expect(errorOf(() => manifest.resolve("wbe")).hint).toContain('did you mean "web"?');
    expect(errorOf(() => manifest.resolve("web#99")).message).toContain('web has no build "99"');
    expect(errorOf(() => manifest.resolve("web#99")).hint).toBe("its builds are #1 to #3");
    expect(errorOf(() => manifest.resolve("web@prod")).hint).toContain("channels: stable, canary");
    expect(errorOf(() => manifest.resolve(`sha256:${"f".repeat(64)}`)).code).toBe("ref-not-found");
    expect(errorOf(() => manifest.resolve("abc")).code).toBe("ref-not-found");
  });

  it("says why a lineage has no image to offer when all are revoked", async () => {
    const { manifest, base1, base2, base3 } = await fleet();
    for (const record of [base1, base2, base3]) {
      await manifest.appendEvent({
        event: "revoke",
        target: record.id,
        reason: "end of life",
        cascade: false,
      });
    }
    const error = errorOf(() => manifest.resolve("base"));
    expect(error.message).toContain("base has no active image (the newest, base#3, is revoked: end of life)");
  });
});
