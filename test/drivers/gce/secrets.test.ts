// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipes spell ${...} literally.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RecordedRequest } from "../../fakes/gce/server.js";
import { FakeCompute } from "../../fakes/gce/server.js";
import { GceProject, WEB_RECIPE } from "./project.js";

const repo = join(import.meta.dirname, "../../..");
const SECRET = `gce-secret-${randomBytes(9).toString("hex")}`;
const NEEDLES = [SECRET, Buffer.from(SECRET).toString("base64").replace(/=+$/, "")];

// The web recipe with a secret that a build step and a verify check both read from their environment.
const RECIPE = WEB_RECIPE.replace(
  '  greeting: { type: string, default: "hello" }',
  '  greeting: { type: string, default: "hello" }\n  token: { type: string, secret: true }',
)
  .replace(
    "      - run: mkdir -p /opt/runtime && echo rt > /opt/runtime/VERSION",
    '      - run: mkdir -p /opt/runtime && echo rt > /opt/runtime/VERSION && sleep 1 && printf %s "$TOKEN" | wc -c > /opt/runtime/token-length\n        env: { TOKEN: "${vars.token}" }',
  )
  .replace(
    "verify:\n",
    `verify:\n  - run: test "$(printf %s "$TOKEN" | wc -c)" -eq ${SECRET.length}\n    env: { TOKEN: "\${vars.token}" }\n`,
  );

let fake: FakeCompute;
let project: GceProject;

beforeAll(async () => {
  fake = await FakeCompute.start();
  project = await GceProject.create();
  await project.write("recipe.yaml", RECIPE);
});
afterAll(async () => {
  await fake.close();
  await project.remove();
});

function holds(text: string): boolean {
  return NEEDLES.some((needle) => text.includes(needle));
}

// A request body without its startup script: what must never carry a secret.
function withoutStartupScript(request: RecordedRequest): unknown {
  const body = structuredClone(request.body) as { metadata?: { items?: { key: string }[] } };
  if (body?.metadata?.items)
    body.metadata.items = body.metadata.items.filter((i) => i.key !== "startup-script");
  return body;
}

async function filesHolding(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    if (holds(await readFile(file, "latin1").catch(() => ""))) found.push(file);
  }
  return found;
}

describe("secrets on the gce path (compiled CLI against the fake Compute Engine)", () => {
  test("travel only in the startup-script metadata, which bake removes once the script starts", async () => {
    // Everything the instances print on their serial ports, sampled while they live.
    const serial = new Map<string, string>();
    const sampler = setInterval(() => {
      for (const instance of fake.instances.values())
        serial.set(instance.name, instance.serial.toString("utf8"));
    }, 20);
    const result = await execa(process.execPath, [join(repo, "bin/bake.js"), "build", "recipe.yaml"], {
      cwd: project.dir,
      env: { ...project.env(fake), BAKE_VAR_token: SECRET },
      extendEnv: false,
      reject: false,
    }).finally(() => clearInterval(sampler));
    expect({ code: result.exitCode, stderr: result.stderr }).toMatchObject({ code: 0 });

    // The one channel that carries values: the startup script of the instances whose steps read a secret.
    const carriers = fake.requests.filter((request) => holds(JSON.stringify(request.body ?? "")));
    expect(carriers.map((request) => request.call)).toEqual(["instances.insert", "instances.insert"]);
    const names = carriers.map((request) => (request.body as { name: string }).name);
    expect(names).toEqual([expect.stringMatching(/-l0-/), expect.stringMatching(/-verify-/)]);
    for (const request of fake.requests)
      expect(holds(JSON.stringify(withoutStartupScript(request)) ?? "")).toBe(false);

    // Each carrier's script is removed from its metadata as soon as it reports, before the instance stops.
    for (const name of names) {
      const index = (call: string) =>
        fake.requests.findIndex(
          (request) => request.call === call && new RegExp(`/instances/${name}(/|$)`).test(request.path),
        );
      const removal = fake.requests[index("instances.setMetadata")];
      // (An empty list is left out of the request, as protobuf JSON does.)
      expect((removal?.body as { items?: unknown[] } | undefined)?.items ?? []).toEqual([]);
      const end = Math.max(index("instances.stop"), index("instances.delete"));
      expect(index("instances.setMetadata")).toBeGreaterThan(-1);
      expect(index("instances.setMetadata")).toBeLessThan(end);
    }
    // Instances that read no secret keep their script, and their metadata is never touched.
    expect(fake.calls("instances.setMetadata")).toHaveLength(2);

    // Never in serial output (markers included), labels, descriptions, images, the manifest or bake's output.
    expect(serial.size).toBeGreaterThanOrEqual(3);
    for (const [name, text] of serial) expect({ name, leaked: holds(text) }).toEqual({ name, leaked: false });
    for (const image of fake.images.values()) {
      expect(holds(JSON.stringify({ ...image, layers: undefined }))).toBe(false);
      for (const layer of image.layers) expect(await filesHolding(layer)).toEqual([]);
    }
    expect(await filesHolding(project.dir)).toEqual([]);
    expect(holds(`${result.stdout}${result.stderr}`)).toBe(false);
    // And bake says where the values went.
    expect(result.stdout).toMatch(/secret values travel in the startup-script metadata of bake-web-l0-/);
    // The step did get the value.
    const top = [...fake.images.values()].find((image) => image.name.includes("runtime"))?.layers[0] ?? "";
    expect((await readFile(join(top, "opt/runtime/token-length"), "utf8")).trim()).toBe(
      String(SECRET.length),
    );
  }, 120_000);
});
