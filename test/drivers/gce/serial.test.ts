import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openCompute } from "../../../src/drivers/gce/client.js";
import { parseMarker } from "../../../src/drivers/gce/markers.js";
import { parseGceOptions } from "../../../src/drivers/gce/options.js";
import { followSerial } from "../../../src/drivers/gce/serial.js";
import { GceSession } from "../../../src/drivers/gce/session.js";
import type { FakeImage, FakeInstance } from "../../fakes/gce/resources.js";
import { FakeCompute } from "../../fakes/gce/server.js";

let fake: FakeCompute;
let session: GceSession;

beforeAll(async () => {
  fake = await FakeCompute.start();
  const { options } = parseGceOptions(
    { project: "bake-test", zone: "us-central1-a", pollInterval: "20ms", retryDelay: "10ms" },
    { BAKE_GCE_ENDPOINT: fake.endpoint },
  );
  if (!options) throw new Error("bad options");
  session = new GceSession(options, openCompute({ endpoint: fake.endpoint }), new AbortController().signal);
});
afterAll(async () => {
  await session.compute.close();
  await fake.close();
});

function server(name: string): FakeInstance {
  const image = fake.images.get("debian-cloud/debian-12-bookworm-v20260101") as FakeImage;
  return fake.addServer({ project: "bake-test", zone: "us-central1-a", name, image });
}

const follow = (instance: string, lines: string[]) =>
  followSerial({
    session,
    instance,
    nonce: "abc123",
    timeoutMs: 5000,
    onMarker: () => {},
    onLine: (line) => lines.push(line),
  });

describe("following the serial port", () => {
  test("a failure wins over a success that arrives in the same chunk", async () => {
    const vm = server("both-markers");
    vm.serial = Buffer.from(
      "boot\nx startup-script: BAKE:abc123:success\nx startup-script: BAKE:abc123:failure step=2 exit=7 reason=step\n",
    );
    expect(await follow("both-markers", [])).toMatchObject({ kind: "failure", step: 2, exitCode: 7 });
  });

  test("reads on from the last offset and joins a line split across reads", async () => {
    const vm = server("split-line");
    vm.serial = Buffer.from("Jan 1 vm google_metadata_script_runner[1]: startup-script: hello wo");
    const lines: string[] = [];
    const outcome = follow("split-line", lines);
    await fake.waitFor(() =>
      fake.calls("instances.getSerialPortOutput").some((c) => Number(c.query.start) > 0),
    );
    vm.serial = Buffer.concat([vm.serial, Buffer.from("rld\nBAKE:abc123:success\n")]);
    expect(await outcome).toEqual({ kind: "success" });
    expect(lines).toEqual(["hello world"]);
  });

  test("ignores markers with another run's nonce, so step output cannot forge a result", () => {
    expect(parseMarker("startup-script: BAKE:other:success", "abc123")).toBeUndefined();
    expect(parseMarker("startup-script: BAKE:abc123:success", "abc123")).toEqual({ kind: "success" });
  });

  test("fails when the instance is gone before its script reported", async () => {
    server("vanishing");
    const outcome = follow("vanishing", []);
    await fake.waitFor(() =>
      fake.calls("instances.getSerialPortOutput").some((c) => c.path.endsWith("vanishing/serialPort")),
    );
    fake.instances.delete("bake-test/us-central1-a/vanishing");
    await expect(outcome).rejects.toThrow(/vanishing/);
  });
});
