import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDriver } from "../../../../src/drivers/local/index.js";
import { pushImage } from "../../../../src/drivers/local/registry/push.js";
import { Store } from "../../../../src/drivers/local/store.js";
import { skopeo, startRegistry, type TestRegistry } from "../../../helpers/registry.js";
import { makeBusyboxRootfs } from "../helpers.js";

interface SkopeoSeen {
  argv: string[];
  authFileMode?: number;
  authFileText?: string;
}

// Samples every skopeo process while `action` runs: its arguments, and the mode and text of the auth file it was given.
async function watchSkopeo(action: () => Promise<unknown>): Promise<SkopeoSeen[]> {
  const seen: SkopeoSeen[] = [];
  let done = false;
  const sampling = (async () => {
    while (!done) {
      for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        let argv: string[];
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        } catch {
          continue;
        }
        if (!argv[0]?.endsWith("skopeo") || !argv.includes("copy")) continue;
        const at = argv.indexOf("--dest-authfile");
        const file = at >= 0 ? argv[at + 1] : undefined;
        const sample: SkopeoSeen = { argv };
        try {
          if (file) {
            sample.authFileMode = statSync(file).mode & 0o777;
            sample.authFileText = readFileSync(file, "utf8");
          }
        } catch {
          // Gone already: the push ended between the two reads.
        }
        seen.push(sample);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  try {
    await action();
  } finally {
    done = true;
    await sampling;
  }
  return seen;
}

describe("pushImage", () => {
  let secure: TestRegistry;
  let work: string;
  let store: Store;
  let image: string;
  beforeAll(async () => {
    secure = await startRegistry({ tls: true, auth: true });
    work = await mkdtemp(join(tmpdir(), "bake-push-unit-"));
    const rootfs = makeBusyboxRootfs(join(work, "rootfs"));
    const env = { BAKE_STORE: join(work, "store") };
    const resolved = await createDriver().resolve(
      { kind: "external", ref: `dir:${rootfs}`, scheme: "dir", location: rootfs },
      { cwd: work, env, signal: new AbortController().signal, reporter: { emit() {}, async close() {} } },
    );
    image = resolved.id;
    store = await Store.open(join(work, "store"));
  }, 120_000);
  afterAll(async () => {
    await secure?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("hands credentials to skopeo in a 0600 auth file, never in its arguments, and removes the file", async () => {
    const { username, password } = secure.auth as { username: string; password: string };
    const destination = `docker://${secure.host}/unit/busybox:1`;
    let result: { digest: string } | undefined;
    const seen = await watchSkopeo(async () => {
      result = await pushImage({
        store,
        image,
        destination,
        env: { PATH: process.env.PATH, ...secure.env },
        signal: new AbortController().signal,
        credentials: { username, password },
      });
    });
    expect(result?.digest).toBe(image);
    expect(seen.length).toBeGreaterThan(0);
    for (const sample of seen) {
      expect(sample.argv.join(" ")).not.toContain(password);
      expect(sample.argv).toContain("--preserve-digests");
    }
    const withFile = seen.find((sample) => sample.authFileMode !== undefined);
    expect(withFile?.authFileMode).toBe(0o600);
    expect(withFile?.authFileText).toContain(Buffer.from(`${username}:${password}`).toString("base64"));
    expect(readdirSync(join(work, "store", "tmp"))).toEqual([]);
    const inspected = JSON.parse(await skopeo(secure, ["inspect", destination]));
    expect(inspected.Digest).toBe(image);
  });

  it("keeps a wrong password out of its error", async () => {
    const wrong = "wrong-Password-77";
    const failure = pushImage({
      store,
      image,
      destination: `docker://${secure.host}/unit/busybox:2`,
      env: { PATH: process.env.PATH, ...secure.env },
      signal: new AbortController().signal,
      credentials: { username: secure.auth?.username as string, password: wrong },
    });
    await expect(failure).rejects.toMatchObject({ code: "registry-auth", exitCode: 2 });
    const error = (await failure.catch((caught: unknown) => caught)) as Error & {
      detail?: string;
      hint?: string;
    };
    expect(JSON.stringify([error.message, error.detail, error.hint])).not.toContain(wrong);
    expect(readdirSync(join(work, "store", "tmp"))).toEqual([]);
  });
});
