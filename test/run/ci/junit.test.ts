import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../../src/drivers/redact.js";
import { renderJunit } from "../../../src/run/ci/junit.js";
import { redactReport } from "../../../src/run/ci/report.js";
import { junitSchemaErrors } from "../../helpers/junit-schema.js";
import { outcome, report } from "./reports.js";

const parser = new XMLParser({
  ignoreAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Decodes the numeric character references (`&#10;`) that keep newlines in attributes.
  htmlEntities: true,
  isArray: (name) => ["testsuite", "testcase", "property"].includes(name),
});

// Every character class a check name or message may carry that XML cannot hold as is.
const HOSTILE = `a<b>&"q"'s ]]> <!-- \u0000\u0007\u001b[31m \r\n\t \ud800 \ufffe \u202e end`;

describe("renderJunit", () => {
  it("writes a schema-valid report with a passing testcase per check and the attempts of a flaky one", async () => {
    const xml = renderJunit(report());
    expect(await junitSchemaErrors(xml)).toEqual([]);
    const suite = parser.parse(xml).testsuites.testsuite[0];
    expect(suite["@_name"]).toBe("web 2.4.0");
    expect(suite["@_time"]).toBe("4.200");
    expect(suite.testcase.map((c: Record<string, unknown>) => [c["@_name"], c["@_time"]])).toEqual([
      ["health", "1.500"],
      ["version", "0.040"],
    ]);
    expect(suite.testcase[0]["system-out"]).toBe("passed after 3 attempts\nattempt 1: 503\nattempt 2: 503");
  });

  it("keeps any check name and message intact and the document valid, whatever characters they hold", async () => {
    const xml = renderJunit(
      report({
        outcome: outcome({
          verifyChecks: [HOSTILE],
          checks: [
            {
              index: 0,
              name: HOSTILE,
              ok: false,
              attempts: 1,
              durationMs: 5,
              message: HOSTILE,
              failedAttempts: [HOSTILE],
              output: HOSTILE,
            },
          ],
        }),
        plannedChecks: [HOSTILE],
        record: undefined,
        failure: { code: "verify-failed", message: `verify failed: ${HOSTILE}`, exitCode: 1 },
      }),
    );
    expect(await junitSchemaErrors(xml)).toEqual([]);
    const testcase = parser.parse(xml).testsuites.testsuite[0].testcase[0];
    // Control characters and bidi overrides show as escapes, what XML cannot hold becomes U+FFFD, the rest is kept.
    const shown = `a<b>&"q"'s ]]> <!-- \\x00\\x07\\e[31m \\r\n\t \ufffd \ufffd \\u202e end`;
    expect(testcase["@_name"]).toBe(shown);
    expect(testcase.failure["@_message"]).toBe(shown);
    expect(testcase.failure["#text"]).toContain(`attempt 1: ${shown}`);
    expect(testcase.failure["#text"]).toContain(`last output:\n${shown}`);
  });

  it("writes the build as an error and its checks as skipped when the build stopped before verify", async () => {
    const xml = renderJunit(
      report({
        record: undefined,
        ancestry: undefined,
        outcome: outcome({ verifyChecks: undefined, checks: [] }),
        failure: {
          code: "parent-missing",
          message: "no image web-base@stable",
          hint: "build it first",
          exitCode: 2,
        },
      }),
    );
    expect(await junitSchemaErrors(xml)).toEqual([]);
    const suite = parser.parse(xml).testsuites.testsuite[0];
    expect([suite["@_tests"], suite["@_errors"], suite["@_skipped"], suite["@_failures"]]).toEqual([
      "3",
      "1",
      "2",
      "0",
    ]);
    expect(suite.testcase[0].error["@_type"]).toBe("parent-missing");
    expect(suite.testcase[0].error["#text"]).toBe("no image web-base@stable\nhint: build it first");
    expect(suite.testcase.slice(1).map((c: Record<string, unknown>) => c["@_name"])).toEqual([
      "health",
      "version",
    ]);
  });

  it("reports the checks an up-to-date image passed when it was registered", async () => {
    const xml = renderJunit(
      report({ outcome: outcome({ upToDate: true, checks: [], verifyChecks: undefined }) }),
    );
    expect(await junitSchemaErrors(xml)).toEqual([]);
    const suite = parser.parse(xml).testsuites.testsuite[0];
    expect(suite.testcase).toHaveLength(1);
    expect(suite.testcase[0]["system-out"]).toBe("up to date: passed when web build 12 was registered");
  });

  it("names the suite after the recipe when it did not compile", async () => {
    const xml = renderJunit(
      report({
        lineage: undefined,
        version: undefined,
        record: undefined,
        ancestry: undefined,
        plannedChecks: [],
        outcome: { layers: [], checks: [], upToDate: false },
        failure: {
          code: "recipe-invalid",
          message: "images/web/recipe.yaml: 1 error in the recipe",
          exitCode: 2,
          diagnostics: [
            {
              code: "unknown-key",
              severity: "error",
              message: "unknown key `layrs`",
              location: { file: "images/web/recipe.yaml", line: 4, col: 1 },
            },
          ],
        },
      }),
    );
    expect(await junitSchemaErrors(xml)).toEqual([]);
    const suite = parser.parse(xml).testsuites.testsuite[0];
    expect(suite["@_name"]).toBe("images/web/recipe.yaml");
    expect(suite.testcase[0].error["#text"]).toContain("images/web/recipe.yaml:4:1: unknown key `layrs`");
  });

  it("hides secret values, also those with characters XML escapes, because it renders a redacted report", () => {
    const secret = "p&ss<word>";
    // A multi-line secret printed by a check arrives as several output lines; it is redacted whole.
    const pem = "-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----";
    const dirty = report({
      outcome: outcome({
        checks: [
          {
            index: 0,
            name: "health",
            ok: false,
            attempts: 1,
            durationMs: 1,
            message: `denied for ${secret}`,
            failedAttempts: [],
            output: `token=${secret}\nkey:\n${pem}\ndone`,
          },
        ],
      }),
      record: undefined,
      failure: { code: "verify-failed", message: `verify failed: denied for ${secret}`, exitCode: 1 },
    });
    const xml = renderJunit(redactReport(dirty, createRedactor({ token: secret, key: pem })));
    expect(xml).not.toContain("p&amp;ss");
    expect(xml).not.toContain("ss&lt;word");
    expect(xml).toContain("token=***");
    expect(xml).not.toContain("MIIBOgIBAAJBAK");
    expect(xml).toContain("key:\n***\ndone");
  });

  it("is checked by a schema that rejects a testcase with two results and a count that is not a number", async () => {
    const count = await junitSchemaErrors('<testsuites><testsuite name="x" tests="one"/></testsuites>');
    expect(count.join("\n")).toMatch(/'one' is not a valid value/);
    const errors = await junitSchemaErrors(
      '<testsuites><testsuite name="x" tests="1"><testcase name="y"><failure/><error/></testcase></testsuite></testsuites>',
    );
    expect(errors.join("\n")).toMatch(/Element 'error': This element is not expected/);
  });
});
