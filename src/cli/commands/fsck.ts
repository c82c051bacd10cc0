import { checkManifest } from "../../manifest/fsck.js";
import { checkSideData } from "../../manifest/side-data.js";
import { printable } from "../../util/printable.js";
import type { CommandRun } from "../io.js";
import { locationFor, openForCommand, stdoutStyle, writeJson } from "../manifest-support.js";

/** `bake fsck [--json]`: re-hashes every line and the side data records refer to, and checks every link; exit 1 naming each broken line. */
export const run: CommandRun = async ({ values }, io) => {
  // Refuses a missing manifest with the usual hint. No warnings: every damaged line is in the report.
  const manifest = await openForCommand(values, io, { mustExist: true, warn: false });
  // The location as given, not `manifest.path`: a store URL may need the password that path leaves out.
  const report = await checkManifest(locationFor(values, io));
  // Inventories beside the manifest are referenced by digest from records: re-hashed too.
  const sideData = await checkSideData(manifest);
  if (sideData.length > 0) {
    report.problems.push(...sideData);
    report.problems.sort((a, b) => a.line - b.line);
    report.ok = false;
  }
  if (values.json === true) {
    writeJson(io, report);
    return report.ok ? 0 : 1;
  }
  const style = stdoutStyle(io, values);
  for (const problem of report.problems) {
    // Messages quote lineages, layer names and JSON errors from the file: escaped, so they cannot drive the terminal.
    io.stdout.write(`${style.red(`${report.path}:${problem.line}`)}: ${printable(problem.message)}\n`);
  }
  if (report.unterminated) {
    io.stdout.write(
      `note: ${report.path}:${report.unterminated.line} is a whole line without its final newline (an editor or a merge dropped it); it was checked like every other line, and the next write adds the newline\n`,
    );
  }
  if (report.tornFile?.wholeLines) {
    io.stdout.write(
      `note: ${report.tornFile.path} holds ${report.tornFile.bytes} bytes moved aside by earlier writes; ${report.tornFile.wholeLines} of its lines are whole records or events, not torn writes (an older bake moved a last line that only lacked its newline there): they may have been acknowledged, so check whether the manifest still needs them\n`,
    );
  } else if (report.tornFile) {
    io.stdout.write(
      `note: ${report.tornFile.path} holds ${report.tornFile.bytes} bytes moved aside from writes a crash cut short (never acknowledged records)\n`,
    );
  }
  const summary = `${report.images} images, ${report.layers} layer records, ${report.events} events in ${report.lineages} lineages (${report.lines} lines, format ${report.format})`;
  if (report.ok) {
    io.stdout.write(
      `${style.green("ok")}: ${summary}; every id matches its content and the chain is intact\n`,
    );
    return 0;
  }
  io.stdout.write(
    `${style.red(`${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}`)} in ${summary}\n`,
  );
  return 1;
};
