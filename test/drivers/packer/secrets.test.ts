// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${...} literally.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchProcesses } from "./process-watch.js";
import { BASE_IMAGE, ensureBaseImage, havePackerAndDocker } from "./tools.js";

// Real Packer 1.6 and a real dockerd (CI has both); the compiled CLI runs as its own process, as a user's would.
const enabled = havePackerAndDocker() || Boolean(process.env.CI);
const repo = path.resolve(import.meta.dirname, "../../..");
const SECRET = `pkr-secret-${randomBytes(9).toString("hex")}`;
// The secret as it travels: verbatim, and base64-encoded as the templates carry it to the instance.
const NEEDLES = [SECRET, Buffer.from(SECRET).toString("base64").replace(/=+$/, "")];

const RECIPE = `apiVersion: bake/v1
name: packer-secret
version: "1"
from: docker://${BASE_IMAGE}
target: { driver: packer, builder: docker }
vars:
  token: { type: string, secret: true }
layers:
  - name: slow
    steps:
      - run: sleep 6; test -n "$TOKEN" && echo "$TOKEN" | wc -c > /token-length
        env: { TOKEN: "\${vars.token}" }
verify:
  - name: token reaches the check
    run: sleep 6; test "$(echo "$TOKEN" | wc -c)" = "$(cat /token-length)"
    env: { TOKEN: "\${vars.token}" }
`;

let dir: string;
let home: string;
let temp: string;
const images: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  ensureBaseImage();
  dir = await mkdtemp(path.join(tmpdir(), "bake-packer-secrets-"));
  home = path.join(dir, "home");
  temp = path.join(dir, "tmp");
  await mkdir(home);
  await mkdir(temp);
  await mkdir(path.join(dir, "project"));
  await writeFile(path.join(dir, "project/recipe.yaml"), RECIPE);
});

afterAll(async () => {
  if (!enabled) return;
  if (images.length > 0) spawnSync("docker", ["rmi", "-f", ...new Set(images)], { stdio: "ignore" });
  await rm(dir, { recursive: true, force: true });
});

function bake(args: string[]) {
  return execa(process.execPath, [path.join(repo, "bin/bake.js"), ...args], {
    cwd: path.join(dir, "project"),
    // The secret reaches bake through its environment only; HOME and TMPDIR are this test's, to search after.
    env: { PATH: process.env.PATH, HOME: home, TMPDIR: temp, BAKE_VAR_token: SECRET, CI: "1", NO_COLOR: "1" },
    extendEnv: false,
    reject: false,
  });
}

// Every file under `root` whose bytes hold a needle.
async function filesHolding(root: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = await readFile(file).catch(() => Buffer.alloc(0));
    if (NEEDLES.some((needle) => bytes.includes(needle))) found.push(file);
  }
  return found;
}

/** A file that held a secret while bake ran, and whether only its owner could reach it. */
interface SecretFile {
  file: string;
  ownerOnly: boolean;
}

// Samples TMPDIR while `until` runs for files that hold the secret, and whether a directory on their path (or the
// file itself) shuts out group and others.
async function watchSecretFiles(root: string, until: Promise<unknown>): Promise<SecretFile[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const found = new Map<string, SecretFile>();
  while (!done) {
    for (const file of await filesHolding(root).catch(() => [])) {
      let ownerOnly = false;
      for (let at = file; at.startsWith(`${root}/`); at = path.dirname(at)) {
        const mode = await stat(at).then(
          (info) => info.mode & 0o077,
          () => 0o077,
        );
        if (mode === 0) ownerOnly = true;
      }
      found.set(file, { file: path.relative(root, file), ownerOnly });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return [...found.values()];
}

describe.skipIf(!enabled)("secrets on the packer path", () => {
  it("never appear in any process's arguments, nor in a file others can read, while Packer runs a long step and a long check", async () => {
    const build = bake(["build", "recipe.yaml", "--manifest", "bake.lineage.jsonl"]);
    const secretFiles = watchSecretFiles(temp, build);
    const watch = await watchProcesses({
      needles: NEEDLES,
      seen: {
        // The step and the check each sleep in their container, under a `docker exec` Packer started.
        sleeping: /^sleep 6$/,
        provisioner: /docker exec -i ([0-9a-f]+) \/bin\/sh -c .*\/tmp\/script_/,
      },
      until: build,
    });
    // Packer's variable file for the step is the one file that holds the value, in bake's private directory.
    const files = await secretFiles;
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => !file.ownerOnly)).toEqual([]);
    expect(files.map((file) => file.file)).toEqual(
      files.map(() => expect.stringMatching(/^bake-packer-bake-[^/]+\/packer-shell-vars/)),
    );
    const { result } = watch;
    expect({ code: result.exitCode, stderr: result.stderr }).toMatchObject({ code: 0 });
    expect(watch.leaks).toEqual([]);
    // The watch covered both long windows, many times over.
    expect(watch.samples).toBeGreaterThan(40);
    expect(watch.seen.sleeping).toBeGreaterThan(10);
    expect(watch.seen.provisioner).toBeGreaterThan(10);
    // Two containers ran provisioners: the layer's builder and the verify instance.
    expect(watch.captured.provisioner?.size).toBeGreaterThanOrEqual(2);
    expect(NEEDLES.filter((needle) => `${result.stdout}${result.stderr}`.includes(needle))).toEqual([]);
  }, 600_000);

  it("never appear in anything bake wrote: manifest, emitted templates, caches, temporary files, images", async () => {
    const emit = await bake(["plan", "recipe.yaml", "--emit", "packer", "emitted"]);
    expect({ code: emit.exitCode, stderr: emit.stderr }).toMatchObject({ code: 0 });
    expect(await readdir(path.join(dir, "project/emitted"))).toContain("verify.pkr.json");
    // The project (manifest, emitted folder, anything cached beside them), HOME (Packer's own files) and TMPDIR.
    expect(await filesHolding(dir)).toEqual([]);
    // Nothing Packer wrote into a layer (its variable file) stays in the image.
    const manifest = await readFile(path.join(dir, "project/bake.lineage.jsonl"), "utf8");
    const artifacts = manifest
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { artifact?: string }).artifact)
      .filter((id): id is string => typeof id === "string");
    expect(artifacts.length).toBeGreaterThan(0);
    images.push(...artifacts);
    const saved = execFileSync("docker", ["save", ...new Set(artifacts)], { maxBuffer: 512 * 1024 * 1024 });
    expect(NEEDLES.filter((needle) => saved.includes(needle))).toEqual([]);
    // The step did get the secret: its length is in the image.
    const length = execFileSync(
      "docker",
      ["run", "--rm", "--network=none", artifacts.at(-1) as string, "cat", "/token-length"],
      { encoding: "utf8" },
    );
    expect(length.trim()).toBe(String(SECRET.length + 1));
  }, 600_000);
});
