/** One error as the generated validators report it (ajv's shape). */
export interface LineError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** A generated validator: true when the line passes; otherwise its `errors` say why. */
export type Validator = ((line: unknown) => boolean) & { errors?: LineError[] | null };

/** An error as `field: message` (`parent: must be object`), the way fsck and writers print schema problems. */
export function describeError(error: LineError): string {
  const where = error.instancePath === "" ? "line" : error.instancePath.slice(1).replaceAll("/", ".");
  if (error.keyword === "additionalProperties") {
    return `${where}: unexpected field "${String(error.params.additionalProperty)}"`;
  }
  return `${where}: ${error.message ?? "is invalid"}`;
}
