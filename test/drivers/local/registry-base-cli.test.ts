// `from: docker://...` as a user meets it: the compiled CLI builds on bases in a real docker-registry, records
// the exact digest and platform, rebuilds when the tag moves, and fails clearly (exit 2, nothing in the store).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, runBake } from "../../helpers/compiled-cli.js";
import { seedImage, seedIndex, skopeo, startRegistry, type TestRegistry } from "../../helpers/registry.js";

const work = mkdtempSync(join(tmpdir(), "bake-registry-cli-"));
let plain: TestRegistry;
let secure: TestRegistry;

beforeAll(async () => {
  [plain, secure] = await Promise.all([
    startRegistry(),
    startRegistry({ tls: true, auth: true }),
    ensureBuilt(),
  ]);
}, 300_000);
afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

interface RecordLine {
  id: string;
  kind: string;
  parent: { external?: { ref: string; id: string }; record?: string };
  layers?: { name: string; cacheKey: string; artifact: string }[];
  details: Record<string, string>;
}

function recipe(dir: string, from: string): void {
  writeFileSync(
    join(work, `${dir}.yaml`),
    [
      "apiVersion: bake/v1",
      `name: ${dir}`,
      'version: "1.0.0"',
      `from: ${from}`,
      "target: { network: none }",
      "layers:",
      "  - name: mark",
      "    steps: [{ run: cp /etc/variant /seen-variant }]",
      "verify:",
      "  - run: test -s /seen-variant",
    ].join("\n"),
  );
}

function env(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "true",
    NO_COLOR: "1",
    BAKE_STORE: join(work, `${name}-store`),
    BAKE_MANIFEST: join(work, `${name}.jsonl`),
    ...plain.env,
    ...extra,
  };
}

function images(name: string): RecordLine[] {
  return readFileSync(join(work, `${name}.jsonl`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordLine)
    .filter((record) => record.kind === "image");
}

function storeBlobs(name: string): string[] {
  try {
    return readdirSync(join(work, `${name}-store`, "blobs/sha256"));
  } catch {
    return [];
  }
}

describe("bake build on a registry base", () => {
  test("records the exact digest of the tag, and rebuilds on the new digest after the tag moves", async () => {
    const first = await seedImage(plain, { repo: "cli/base", tag: "stable", variant: "one" });
    recipe("moving", first.ref);
    const built = await runBake(["build", "moving.yaml"], { cwd: work, env: env("moving") });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    expect(built.stdout).toContain(`parent ${first.ref} -> ${first.digest}`);
    expect(built.stdout).toMatch(/pulled docker:\/\/\S+@sha256:[0-9a-f]{64} \(2 blobs/);
    const [one] = images("moving");
    expect(one?.parent).toEqual({ external: { ref: first.ref, id: first.digest } });
    expect(one?.details).toMatchObject({ parentId: first.digest, parentPlatform: "linux/amd64" });

    const again = await runBake(["build", "moving.yaml"], { cwd: work, env: env("moving") });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toContain("pulled ");
    expect(images("moving")).toHaveLength(1);

    const moved = await seedImage(plain, { repo: "cli/base", tag: "stable", variant: "two" });
    const rebuilt = await runBake(["build", "moving.yaml"], { cwd: work, env: env("moving") });
    expect(rebuilt.code, rebuilt.stdout + rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain(`parent ${first.ref} -> ${moved.digest}`);
    const [, two] = images("moving");
    expect(two?.parent).toEqual({ external: { ref: first.ref, id: moved.digest } });
    expect(two?.layers?.[0]?.cacheKey).not.toBe(one?.layers?.[0]?.cacheKey);
    expect(two?.layers?.[0]?.artifact).not.toBe(one?.layers?.[0]?.artifact);
  });

  test("builds on this machine's platform from a multi-platform index pinned by digest, and records it", async () => {
    const seeded = await seedIndex(plain, {
      repo: "cli/multi",
      tag: "1",
      platforms: ["linux/arm64", "linux/amd64"],
    });
    const pinned = `docker://${plain.host}/cli/multi@${seeded.digest}`;
    const amd64 = seeded.manifests.find((entry) => entry.platform === "linux/amd64")?.digest;
    writeFileSync(
      join(work, "multi.yaml"),
      [
        "apiVersion: bake/v1",
        "name: multi",
        'version: "1.0.0"',
        `from: ${pinned}`,
        "target: { network: none }",
        "layers:",
        "  - name: mark",
        "    steps: [{ run: cp /etc/platform /seen-platform }]",
        "verify:",
        "  - run: grep -qx linux/amd64 /seen-platform",
      ].join("\n"),
    );
    const built = await runBake(["build", "multi.yaml"], { cwd: work, env: env("multi") });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const [record] = images("multi");
    expect(record?.parent).toEqual({ external: { ref: pinned, id: amd64 } });
    expect(record?.details).toMatchObject({ parentPlatform: "linux/amd64", parentIndex: seeded.digest });
  });

  test("keeps a Docker schema 2 base's registry digest and exports an image whose layers are all OCI", async () => {
    const seeded = await seedImage(plain, {
      repo: "cli/docker",
      tag: "1",
      format: "v2s2",
      variant: "docker",
    });
    const raw = JSON.parse(await skopeo(plain, ["inspect", "--raw", seeded.ref])) as { mediaType: string };
    expect(raw.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    recipe("docker", seeded.ref);
    const built = await runBake(["build", "docker.yaml"], { cwd: work, env: env("docker") });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    expect(images("docker")[0]?.parent.external?.id).toBe(seeded.digest);
    const archive = join(work, "docker.tar");
    const exported = await runBake(["export", "docker", "-o", archive], { cwd: work, env: env("docker") });
    expect(exported.code, exported.stderr).toBe(0);
    const manifest = JSON.parse(
      execFileSync("skopeo", ["inspect", "--raw", `oci-archive:${archive}`], { encoding: "utf8" }),
    ) as { layers: { mediaType: string }[]; annotations: Record<string, string> };
    expect(manifest.layers.map((layer) => layer.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+gzip",
    ]);
    expect(manifest.annotations["org.opencontainers.image.base.digest"]).toBe(seeded.digest);
    expect(manifest.annotations["org.opencontainers.image.base.name"]).toBe(seeded.ref);
  });

  test("builds on a TLS registry with htpasswd auth from REGISTRY_AUTH_FILE, and the password is nowhere", async () => {
    const seeded = await seedImage(secure, { repo: "cli/private", tag: "1" });
    const auth = secure.auth as NonNullable<TestRegistry["auth"]>;
    recipe("private", seeded.ref);
    const built = await runBake(["build", "private.yaml"], {
      cwd: work,
      env: env("private", { REGISTRY_AUTH_FILE: auth.authFile }),
    });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const [record] = images("private");
    expect(record?.parent.external?.id).toBe(seeded.digest);
    const token = Buffer.from(`${auth.username}:${auth.password}`).toString("base64");
    const written = [
      built.stdout,
      built.stderr,
      readFileSync(join(work, "private.jsonl"), "utf8"),
      ...readdirSync(join(work, "private-store"))
        .filter((name) => name.endsWith(".json"))
        .map((name) => readFileSync(join(work, "private-store", name), "utf8")),
    ].join("\n");
    expect(written).not.toContain(auth.password);
    expect(written).not.toContain(token);
  });

  test("fails with exit 2 and an empty store on a corrupt blob, a wrong password and a registry that is down", async () => {
    const corrupt = await seedImage(plain, { repo: "cli/corrupt", tag: "1", variant: "to-corrupt" });
    const manifest = JSON.parse(readFileSync(plain.blobPath(corrupt.digest), "utf8")) as {
      layers: { digest: string }[];
    };
    const blob = plain.blobPath(manifest.layers[0]?.digest as string);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 64] = (bytes[bytes.length - 64] as number) ^ 0x5a;
    writeFileSync(blob, bytes);

    const locked = await seedImage(secure, { repo: "cli/locked", tag: "1" });
    const auth = secure.auth as NonNullable<TestRegistry["auth"]>;
    const wrongFile = join(work, "wrong.json");
    const wrong = `not-${auth.password}`;
    writeFileSync(
      wrongFile,
      JSON.stringify({
        auths: { [secure.host]: { auth: Buffer.from(`${auth.username}:${wrong}`).toString("base64") } },
      }),
    );

    const down = await startRegistry();
    const gone = await seedImage(down, { repo: "cli/gone", tag: "1" });
    await down.stop();

    const cases: { name: string; ref: string; extra: Record<string, string>; says: RegExp }[] = [
      { name: "corrupt", ref: corrupt.ref, extra: {}, says: /do not match their digest/ },
      {
        name: "refused",
        ref: locked.ref,
        extra: { REGISTRY_AUTH_FILE: wrongFile },
        says: /refused the credentials/,
      },
      { name: "down", ref: gone.ref, extra: down.env, says: /cannot be reached/ },
    ];
    for (const failure of cases) {
      recipe(failure.name, failure.ref);
      const run = await runBake(["build", `${failure.name}.yaml`], {
        cwd: work,
        env: env(failure.name, failure.extra),
      });
      expect(run.code, `${failure.name}: ${run.stdout}${run.stderr}`).toBe(2);
      const output = run.stdout + run.stderr;
      expect(output).toContain(`cannot pull ${failure.ref}`);
      expect(output).toMatch(failure.says);
      expect(output).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(output).not.toContain(wrong);
      expect(storeBlobs(failure.name), failure.name).toEqual([]);
    }
  });
});
