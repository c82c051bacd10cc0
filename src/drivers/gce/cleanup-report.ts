/** One line saying what could not be deleted and how to finish the job. */
export function cleanupReport(failed: { what: string; error: unknown }[]): string {
  const items = failed.map(
    ({ what, error }) => `${what} (${error instanceof Error ? error.message : String(error)})`,
  );
  return `could not delete ${items.join("; ")}; run "bake gc --target gce" to remove what is left`;
}
