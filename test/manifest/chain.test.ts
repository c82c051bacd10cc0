import { closeSync, openSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ChainVerifier } from "../../src/manifest/chain.js";
import { checkpointPath } from "../../src/manifest/checkpoint.js";
import { verifyFileChain } from "../../src/manifest/file-chain.js";
import { openManifest } from "../../src/manifest/manifest.js";
import { buildFleet, imageInput, tempManifest } from "./helpers.js";

async function fleet() {
  const { path } = tempManifest();
  const manifest = await openManifest(path, { create: true, env: {} });
  return { path, manifest, ...(await buildFleet(manifest)) };
}

function linesOf(path: string): string[] {
  return readFileSync(path, "utf8").trimEnd().split("\n");
}

function verify(lines: string[], verifier = new ChainVerifier()) {
  for (const line of lines) verifier.push(Buffer.from(line));
  return verifier.finish();
}

function verifyFile(path: string) {
  const fd = openSync(path, "r");
  try {
    return verifyFileChain(path, fd, statSync(path).size);
  } finally {
    closeSync(fd);
  }
}

describe("chain verification", () => {
  it("passes the lines bake wrote, and says where they end", async () => {
    const { path } = await fleet();
    const verifier = new ChainVerifier();
    expect(verify(linesOf(path), verifier)).toBeUndefined();
    expect(verifier.point.lines).toBe(12);
  });

  it("resumes from a verified point, checking only the lines after it", async () => {
    const { path } = await fleet();
    const lines = linesOf(path);
    const head = new ChainVerifier();
    verify(lines.slice(0, 8), head);
    // Line 2 is garbage now, but it is before the point: only the link from line 8 to line 9 onwards counts.
    lines[1] = "garbage";
    expect(verify(lines.slice(8), new ChainVerifier(head.point))).toBeUndefined();
    expect(verify(["garbage"], new ChainVerifier(head.point))).toMatchObject({ line: 9, code: "edited" });
  });

  it("names an edited line, the line after a removed one, a moved line and an edited last line", async () => {
    const { path } = await fleet();
    const lines = linesOf(path);
    const edited = [...lines];
    edited[4] = (edited[4] as string).replace('"version":"1.2.0"', '"version":"1.2.1"');
    expect(verify(edited)).toMatchObject({ line: 5, code: "edited" });
    expect(verify([...lines.slice(0, 4), ...lines.slice(5)])).toMatchObject({ line: 5, code: "unlinked" });
    expect(
      verify([...lines.slice(0, 5), lines[6] as string, lines[5] as string, ...lines.slice(7)]),
    ).toMatchObject({
      line: 6,
      code: "unlinked",
    });
    const last = [...lines];
    last[11] = (last[11] as string).replace('"channel":"canary"', '"channel":"beta"');
    expect(verify(last)).toMatchObject({ line: 12, code: "edited" });
    const header = [...lines];
    header[0] = (header[0] as string).replace('"format":"1.0"', '"format":"1.1"');
    expect(verify(header)).toMatchObject({ line: 1 });
  });

  it("catches a line re-serialised with the same content but other bytes", async () => {
    const { path } = await fleet();
    const lines = linesOf(path);
    lines[11] = JSON.stringify(JSON.parse(lines[11] as string), null, 1).replaceAll("\n", "");
    expect(verify(lines)).toMatchObject({ line: 12, code: "edited" });
  });
});

describe("the chain checkpoint", () => {
  it("lets a verification of an unchanged file skip the re-hash, after a write or a full scan", async () => {
    const { path } = await fleet();
    expect(verifyFile(path)).toMatchObject({ via: "checkpoint", lines: 12 });
    writeFileSync(checkpointPath(path), "damaged");
    expect(verifyFile(path)).toMatchObject({ via: "scan", lines: 12 });
    expect(verifyFile(path)).toMatchObject({ via: "checkpoint", lines: 12 });
  });

  it("is not trusted once the file changed, even at the same size with its mtime set back", async () => {
    const { path, manifest, base2 } = await fleet();
    // Some kernels stamp ctime at clock-tick granularity; a hand edit is never within a tick of bake's own write.
    await new Promise((done) => setTimeout(done, 25));
    const { mtime, atime } = statSync(path);
    const lines = readFileSync(path, "utf8").split("\n");
    const line = (manifest.lineOf(base2.id) as number) - 1;
    lines[line] = (lines[line] as string).replace('"version":"1.1.0"', '"version":"1.1.9"');
    writeFileSync(path, lines.join("\n"));
    utimesSync(path, atime, mtime);
    const check = verifyFile(path);
    expect(check).toMatchObject({ via: "scan", problem: { line: line + 1, code: "edited" } });
    // A broken chain is never checkpointed.
    expect(verifyFile(path).via).toBe("scan");
  });

  it("is kept current by each append, so a writer on a large manifest does not re-hash it", async () => {
    const { path, manifest, base3 } = await fleet();
    for (let i = 0; i < 3; i++) {
      await manifest.register(imageInput({ lineage: "web", parent: { record: base3.id }, seed: String(i) }));
      expect(verifyFile(path)).toMatchObject({ via: "checkpoint", lines: 13 + i });
    }
  });
});
