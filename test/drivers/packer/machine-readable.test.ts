import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseMachineLine,
  plainUiText,
  SummaryCollector,
  summarizeOutput,
  uiLine,
  unescapeField,
} from "../../../src/drivers/packer/machine-readable.js";

const fixtures = path.resolve(import.meta.dirname, "../../fixtures/packer/machine-readable");

describe("parseMachineLine", () => {
  it("splits a line into timestamp, target, type and data", () => {
    const line = parseMachineLine("1795661269,docker.good,artifact,0,id,sha256:4d16");
    expect(line).toEqual({
      timestamp: 1795661269,
      target: "docker.good",
      type: "artifact",
      data: ["0", "id", "sha256:4d16"],
    });
  });

  it("unescapes commas, newlines and carriage returns inside a field", () => {
    const line = parseMachineLine("1,,ui,message,    docker.bake: a%!(PACKER_COMMA) b\\nsecond\\rline");
    expect(line?.data).toEqual(["message", "    docker.bake: a, b\nsecond\rline"]);
  });

  it("keeps an empty target for lines about Packer itself", () => {
    expect(parseMachineLine("1795661269,,error-count,1")).toMatchObject({ target: "", type: "error-count" });
  });

  it("returns nothing for lines that are not machine-readable", () => {
    expect(parseMachineLine("panic: runtime error")).toBeUndefined();
    expect(parseMachineLine("Build 'x' finished, ok")).toBeUndefined();
    expect(parseMachineLine("")).toBeUndefined();
  });
});

describe("unescapeField", () => {
  it("turns every escape back into the character Packer replaced", () => {
    expect(unescapeField("x%!(PACKER_COMMA)%!(PACKER_COMMA)y\\n\\r")).toBe("x,,y\n\r");
  });
});

describe("ui lines", () => {
  it("reads the kind and text of say, message and error lines", () => {
    const say = parseMachineLine("1,,ui,say,==> docker.bake: Committing the container");
    const error = parseMachineLine("1,,ui,error,==> docker.bad: it broke%!(PACKER_COMMA) badly");
    expect(say && uiLine(say)).toEqual({ kind: "say", text: "==> docker.bake: Committing the container" });
    expect(error && uiLine(error)).toEqual({ kind: "error", text: "==> docker.bad: it broke, badly" });
  });

  it("ignores lines that are not ui lines", () => {
    const artifact = parseMachineLine("1,docker.good,artifact-count,1");
    expect(artifact && uiLine(artifact)).toBeUndefined();
  });

  it("strips Packer's build prefixes from ui text", () => {
    expect(plainUiText("    docker.bake: hello, world")).toBe("hello, world");
    expect(plainUiText("==> docker.bake: Provisioning with shell script: /tmp/x.sh")).toBe(
      "Provisioning with shell script: /tmp/x.sh",
    );
    expect(plainUiText("--> amazon-ebs.bake: AMIs were created:")).toBe("AMIs were created:");
    expect(plainUiText("\n==> Wait completed after 1 second")).toBe("==> Wait completed after 1 second");
  });
});

describe("summaries of whole builds", () => {
  it("finds the artifact of the build that succeeded and the error of the one that failed", async () => {
    const summary = summarizeOutput(await readFile(path.join(fixtures, "two-builds.txt"), "utf8"));
    expect(summary.artifacts).toEqual([
      {
        target: "docker.good",
        index: 0,
        builderId: "packer.post-processor.docker-import",
        id: "sha256:4d16014bed27d1703e8efdfb512fbeff9d8e97bd1a1295564cc1e8037b6421c8",
        description:
          "Imported Docker image: sha256:4d16014bed27d1703e8efdfb512fbeff9d8e97bd1a1295564cc1e8037b6421c8",
      },
    ]);
    expect(summary.errors).toEqual([
      {
        target: "docker.bad",
        message: "Script exited with non-zero exit status: 7.Allowed exit codes are: [0]",
      },
    ]);
  });

  it("keeps the artifacts of several builds and several artifacts of one build apart", () => {
    const collector = new SummaryCollector();
    const lines = [
      "1,amazon-ebs.east,artifact,0,id,us-east-1:ami-1",
      "1,amazon-ebs.west,artifact,0,id,us-west-2:ami-2",
      "1,amazon-ebs.west,artifact,1,id,us-west-2:ami-3",
      "1,amazon-ebs.east,artifact,0,string,AMIs were created:\\nus-east-1: ami-1",
      "1,amazon-ebs.west,error,first%!(PACKER_COMMA) failure",
      "1,,error,plugin crashed",
    ];
    for (const text of lines) {
      const line = parseMachineLine(text);
      if (line) collector.add(line);
    }
    const summary = collector.summary();
    expect(summary.artifacts.map((artifact) => [artifact.target, artifact.index, artifact.id])).toEqual([
      ["amazon-ebs.east", 0, "us-east-1:ami-1"],
      ["amazon-ebs.west", 0, "us-west-2:ami-2"],
      ["amazon-ebs.west", 1, "us-west-2:ami-3"],
    ]);
    expect(summary.artifacts[0]?.description).toBe("AMIs were created:\nus-east-1: ami-1");
    expect(summary.errors).toEqual([
      { target: "amazon-ebs.west", message: "first, failure" },
      { target: "", message: "plugin crashed" },
    ]);
  });

  it("reads a multi-line preparation error with its escaped newlines and commas", async () => {
    const text = await readFile(path.join(fixtures, "prepare-error.txt"), "utf8");
    const first = parseMachineLine(text.split("\n")[0] as string);
    const ui = first && uiLine(first);
    expect(ui?.kind).toBe("error");
    expect(ui?.text.split("\n")).toContain(
      "t.pkr.json:12,19-28: Extraneous JSON object property; No argument or block type",
    );
    expect(summarizeOutput(text).artifacts).toEqual([]);
  });
});
