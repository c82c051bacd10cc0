import path from "node:path";
import { chmod, writeFile } from "../../util/fs-async.js";
import { makeDirectoriesAsync } from "../../util/make-directories.js";
import type { CompiledTemplate } from "./template.js";

/** Writes a template and its scripts into `dir`; returns the paths written, template first. */
export async function writeTemplate(compiled: CompiledTemplate, dir: string): Promise<string[]> {
  const written: string[] = [];
  const templateFile = path.join(dir, compiled.name);
  await makeDirectoriesAsync(dir);
  await writeFile(templateFile, `${JSON.stringify(compiled.template, null, 2)}\n`);
  written.push(templateFile);
  for (const file of compiled.files) {
    const target = path.join(dir, file.path);
    await makeDirectoriesAsync(path.dirname(target));
    await writeFile(target, file.content);
    // Scripts are uploaded with their mode; content files keep the step's own mode from the placement script.
    if (file.path.endsWith(".sh")) await chmod(target, 0o755);
    written.push(target);
  }
  return written;
}
