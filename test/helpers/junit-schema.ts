import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { validateXML } from "xmllint-wasm";

const schemaFile = join(import.meta.dirname, "../fixtures/ci/junit.xsd");

/**
 * Validates a JUnit report with libxml2 (xmllint, as WebAssembly) against `test/fixtures/ci/junit.xsd`.
 * Returns libxml2's messages; an empty list means the report is well-formed and valid.
 */
export async function junitSchemaErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: "report.xml", contents: xml }],
    schema: [{ fileName: "junit.xsd", contents: await readFile(schemaFile, "utf8") }],
  });
  return result.valid ? [] : result.errors.map((error) => error.rawMessage);
}
