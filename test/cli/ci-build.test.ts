import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "../e2e/project.js";
import { ensureBuilt, repo, runBake } from "../helpers/compiled-cli.js";
import { junitSchemaErrors } from "../helpers/junit-schema.js";

// A secret with XML and Markdown characters: a redaction done after escaping would miss `s3cr&amp;t`.
const SECRET = "s3cr&t<tok>|`x`";
const HOSTILE = `<script>alert(1)</script> & "q" | \`c\` *b* [l](http://e.x) @here :x:`;

const BASE = `apiVersion: bake/v1
name: ci-base
version: "1.0.0"
from: host
target: { driver: local, network: none }
layers:
  - name: system
    steps:
      - run: mkdir -p /opt/ci && echo base > /opt/ci/release
verify:
  - name: release file
    file: { path: /opt/ci/release, contains: base }
`;

const APP = `apiVersion: bake/v1
name: ci-app
version: "2.0.0"
from: ci-base
target: { driver: local, network: none }
vars:
  token: { type: string, secret: true }
layers:
  - name: runtime
    steps:
      - run: mkdir -p /opt/app
  - name: app
    steps:
      - run: echo "using $TOKEN" && echo ready > /opt/app/state
        env: { TOKEN: "\${vars.token}" }
verify:
  - name: ${JSON.stringify(HOSTILE)}
    file: { path: /opt/app/state, contains: ready }
  - name: base below
    run: grep -q base /opt/ci/release
`;

const FAILING = `apiVersion: bake/v1
name: ci-failing
version: "3.0.0"
from: host
target: { driver: local, network: none }
vars:
  token: { type: string, secret: true }
layers:
  - name: app
    steps:
      - run: mkdir -p /opt/f && echo ready > /opt/f/state
verify:
  - name: token accepted
    run: echo "rejected token $TOKEN" >&2; exit 3
    env: { TOKEN: "\${vars.token}" }
    retries: 1
    interval: 100ms
  - name: state file
    file: { path: /opt/f/state, contains: ready }
`;

const BROKEN = `apiVersion: bake/v1
name: ci-broken
version: "4.0.0"
from: host
target: { driver: local, network: none }
layers:
  - name: runtime
    steps:
      - run: mkdir -p /opt/b
  - name: app
    steps:
      - run: echo "installing"; exit 7
  - name: config
    steps:
      - run: "true"
verify:
  - name: never checked
    run: "true"
`;

interface JunitCase {
  "@_name": string;
  "@_classname": string;
  "@_time": string;
  failure?: { "@_message": string; "@_type": string; "#text"?: string };
  error?: { "@_message": string; "@_type": string; "#text"?: string };
  skipped?: { "@_message": string };
  "system-out"?: string;
}
interface JunitSuite {
  "@_name": string;
  "@_tests": string;
  "@_failures": string;
  "@_errors": string;
  "@_skipped": string;
  "@_time": string;
  "@_timestamp": string;
  properties?: { property: { "@_name": string; "@_value": string }[] };
  testcase: JunitCase[];
}

// Validates a report against the JUnit schema, parses it with a real XML parser, and checks what every JUnit consumer
// relies on: one <testsuites> root, counts that match the cases, and numeric times.
async function readJunit(file: string): Promise<{ xml: string; suite: JunitSuite }> {
  const xml = await readFile(file, "utf8");
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(await junitSchemaErrors(xml)).toEqual([]);
  const doc = new XMLParser({
    ignoreAttributes: false,
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
  }).parse(xml) as { testsuites: { testsuite: JunitSuite[]; "@_tests": string } };
  expect(doc.testsuites.testsuite).toHaveLength(1);
  const suite = doc.testsuites.testsuite[0] as JunitSuite;
  const cases = suite.testcase;
  expect(Number(suite["@_tests"])).toBe(cases.length);
  expect(doc.testsuites["@_tests"]).toBe(suite["@_tests"]);
  expect(Number(suite["@_failures"])).toBe(cases.filter((c) => c.failure !== undefined).length);
  expect(Number(suite["@_errors"])).toBe(cases.filter((c) => c.error !== undefined).length);
  expect(Number(suite["@_skipped"])).toBe(cases.filter((c) => c.skipped !== undefined).length);
  for (const time of [suite["@_time"], ...cases.map((c) => c["@_time"])])
    expect(time).toMatch(/^\d+\.\d{3}$/);
  expect(suite["@_timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  return { xml, suite };
}

let project: Project;
let summary: string;
const env = () => ({
  CI: "true",
  GITHUB_ACTIONS: "true",
  GITHUB_WORKSPACE: project.dir,
  GITHUB_STEP_SUMMARY: summary,
  BAKE_VAR_TOKEN: SECRET,
});
const bake = (args: string[]) => runBake(args, { cwd: project.dir, env: env() });

beforeAll(async () => {
  await ensureBuilt();
  project = await Project.create();
  summary = join(project.dir, "step-summary.md");
  await project.write("base/recipe.yaml", BASE);
  await project.write("app/recipe.yaml", APP);
  await project.write("failing/recipe.yaml", FAILING);
  await project.write("broken/recipe.yaml", BROKEN);
});

afterAll(async () => {
  await project?.remove();
});

describe("bake build in GitHub Actions", () => {
  it("appends a job summary with the record, its ancestry, the layers and the verify results, keeping earlier steps' text", async () => {
    await writeFile(summary, "# Written by an earlier step\n\n");
    expect((await bake(["build", "base/recipe.yaml"])).code).toBe(0);
    const run = await bake(["build", "app/recipe.yaml", "--junit", "reports/app.xml"]);
    expect(run.code).toBe(0);
    const text = await readFile(summary, "utf8");
    expect(
      text.startsWith(
        "# Written by an earlier step\n\n### :white_check_mark: bake build registered ci-base 1.0.0 build 1\n",
      ),
    ).toBe(true);
    const app = text.slice(text.indexOf("### :white_check_mark: bake build registered ci-app 2.0.0 build 1"));
    expect(app).not.toBe(text);
    const [image] = await project.images("ci-app");
    const [base] = await project.images("ci-base");
    expect(app).toContain(`| id | \`${image?.id}\` |`);
    expect(app).toContain("| build | 1 |");
    // Ancestry: the image, its parent, then the external base with the exact id it resolved to.
    expect(app).toMatch(
      new RegExp(
        `1\\. ci-app 2\\.0\\.0 build 1: \`${image?.id}\`\\n2\\. ci-base 1\\.0\\.0 build 1: \`${base?.id}\`\\n3\\. external base \`host\` resolved to \`sha256:[0-9a-f]{64}\``,
      ),
    );
    expect(app).toMatch(/\| runtime \| baked \| \d+(ms|\.\ds) \| `sha256:[0-9a-f]{64}` \|/);
    expect(app).toMatch(/\| app \| baked \| \d+(ms|\.\ds) \|/);
    expect(app).toMatch(/\| base below \| :white_check_mark: pass \| 1 \| \d+(ms|\.\ds) \|/);
    // The hostile check name is escaped: no tag, link, code span, pipe, mention or emoji survives.
    expect(app).toContain(
      "| &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; \\| \\`c\\` \\*b\\* \\[l\\](http\\://e.x) \\@here \\:x\\: | :white_check_mark: pass |",
    );
    expect(text).not.toContain(SECRET);
  });

  it("says up to date and lists cached layers when nothing changed", async () => {
    const run = await bake(["build", "app/recipe.yaml", "--junit", "reports/app-again.xml"]);
    expect(run.code).toBe(0);
    const text = await readFile(summary, "utf8");
    const last = text.slice(text.lastIndexOf("### "));
    expect(last).toMatch(
      /^### :white_check_mark: bake build up to date: ci-app 2\.0\.0 build 1 \(nothing rebuilt\)/,
    );
    expect(last).toMatch(/\| runtime \| cached \| +\| `sha256:/);
    expect(last).toContain("**Verify** (passed when build 1 was registered)");
    const { suite } = await readJunit(join(project.dir, "reports/app-again.xml"));
    expect(suite.testcase.map((c) => c["@_name"])).toEqual([HOSTILE, "base below"]);
    expect(suite.testcase[0]?.["system-out"]).toContain("up to date");
  });

  it("writes --junit as a testsuite for the image with a passing testcase per check", async () => {
    const { suite } = await readJunit(join(project.dir, "reports/app.xml"));
    expect(suite["@_name"]).toBe("ci-app 2.0.0");
    expect(suite.testcase.map((c) => [c["@_name"], c["@_classname"]])).toEqual([
      [HOSTILE, "bake.ci-app"],
      ["base below", "bake.ci-app"],
    ]);
    expect(suite.testcase.every((c) => !c.failure && !c.error && !c.skipped)).toBe(true);
    const [image] = await project.images("ci-app");
    expect(suite.properties?.property).toContainEqual({ "@_name": "bake.id", "@_value": image?.id });
  });

  it("writes failures with messages and attempts when verify fails, with secrets hidden, and exits 1", async () => {
    const run = await bake(["build", "failing/recipe.yaml", "--junit", "reports/failing.xml"]);
    expect(run.code).toBe(1);
    const { xml, suite } = await readJunit(join(project.dir, "reports/failing.xml"));
    expect(suite["@_name"]).toBe("ci-failing 3.0.0");
    const [token, state] = suite.testcase;
    expect(token?.["@_name"]).toBe("token accepted");
    expect(token?.failure?.["@_message"]).toBe("exited with code 3");
    expect(token?.failure?.["#text"]).toContain("(after 2 attempt(s))");
    expect(token?.failure?.["#text"]).toContain("attempt 2: exited with code 3");
    expect(token?.failure?.["#text"]).toContain("rejected token ***");
    expect(state?.failure).toBeUndefined();
    expect(Number(state?.["@_time"])).toBeGreaterThanOrEqual(0);
    expect(xml).not.toContain("s3cr");
    const text = await readFile(summary, "utf8");
    const last = text.slice(text.lastIndexOf("### "));
    expect(last).toMatch(/^### :x: bake build failed: ci-failing 3\.0\.0/);
    expect(last).toContain("**What failed** (verify-failed, exit 1)");
    expect(last).toMatch(/\| token accepted \| :x: fail \| 2 \| [^|]+ \| exited with code 3 \|/);
    expect(last).toContain("rejected token ***");
    expect(text).not.toContain("s3cr");
  });

  it("writes the build as an error with its checks skipped when a step fails before verify", async () => {
    const run = await bake(["build", "broken/recipe.yaml", "--junit", "reports/broken.xml"]);
    expect(run.code).toBe(1);
    // The error that ended the build is an annotation too, with the layer and step.
    expect(run.stderr).toMatch(
      /^::error title=bake build%3A step-failed::layer "app", step 1 .* failed: .*%0Ahint: /m,
    );
    const { suite } = await readJunit(join(project.dir, "reports/broken.xml"));
    const [build, check] = suite.testcase;
    expect(build?.["@_name"]).toBe("build");
    expect(build?.failure?.["@_message"]).toMatch(/layer "app", step 1 .* failed/);
    expect(build?.failure?.["#text"]).toContain("installing");
    expect(check?.["@_name"]).toBe("never checked");
    expect(check?.skipped?.["@_message"]).toMatch(/not run/);
    const text = await readFile(summary, "utf8");
    const last = text.slice(text.lastIndexOf("### "));
    expect(last).toMatch(/^### :x: bake build failed: ci-broken 4\.0\.0/);
    expect(last).toContain("Failed layer: app, step 1 (run echo &quot;installing&quot;; exit 7), exit 7");
    expect(last).toContain("| runtime | baked |");
    expect(last).toContain("| app | :x: failed |");
    expect(last).toContain("| config | not built |");
    expect(last).toContain("| never checked | not run |");
  });

  it("writes an error suite when the recipe does not validate, naming each error's line", async () => {
    await project.write(
      "invalid/recipe.yaml",
      "apiVersion: bake/v1\nname: ci-invalid\nfrom: host\nlayrs: []\n",
    );
    const run = await bake(["build", "invalid/recipe.yaml", "--junit", "reports/invalid.xml"]);
    expect(run.code).toBe(2);
    const { suite } = await readJunit(join(project.dir, "reports/invalid.xml"));
    expect(suite["@_name"]).toBe("invalid/recipe.yaml");
    expect(suite.testcase).toHaveLength(1);
    expect(suite.testcase[0]?.error?.["@_type"]).toBe("recipe-invalid");
    expect(suite.testcase[0]?.error?.["#text"]).toMatch(/invalid\/recipe\.yaml:\d+:\d+: /);
    const text = await readFile(summary, "utf8");
    expect(text.slice(text.lastIndexOf("### "))).toMatch(/^### :x: bake build failed: invalid\/recipe\.yaml/);
  });

  it("refuses a --junit path it cannot write before building anything, with exit 2", async () => {
    await project.write("not-a-dir", "x");
    const run = await bake(["build", "base/recipe.yaml", "--junit", "not-a-dir/report.xml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cannot create the directory of the JUnit report not-a-dir/report.xml");
    expect(run.stdout).not.toContain("build ci-base");
    expect(run.stderr).not.toContain("    at ");
  });
});

describe("bake build interrupted in GitHub Actions", () => {
  it("still writes the JUnit report and the summary when SIGTERM stops it, and exits 130", async () => {
    await project.write(
      "slow/recipe.yaml",
      `apiVersion: bake/v1
name: ci-slow
version: "5.0.0"
from: host
target: { driver: local, network: none }
layers:
  - name: app
    steps:
      - run: echo sleeping; sleep 60
verify:
  - name: never reached
    run: "true"
`,
    );
    await ensureBuilt();
    const child = spawn(
      process.execPath,
      [join(repo, "bin/bake.js"), "build", "slow/recipe.yaml", "--junit", "reports/slow.xml"],
      { cwd: project.dir, env: { PATH: process.env.PATH, ...env() }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    let seen = "";
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`the step never started: ${seen}`)), 60_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("| sleeping")) {
          clearTimeout(timer);
          done();
        }
      });
    });
    child.kill("SIGTERM");
    expect(await exited).toBe(130);
    const { suite } = await readJunit(join(project.dir, "reports/slow.xml"));
    expect(suite.testcase[0]?.error?.["@_type"]).toBe("interrupted");
    expect(suite.testcase[1]?.skipped).toBeDefined();
    const text = await readFile(summary, "utf8");
    expect(text.slice(text.lastIndexOf("### "))).toMatch(/^### :x: bake build interrupted: ci-slow 5\.0\.0/);
  });
});
