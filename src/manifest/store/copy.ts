import { BakeError } from "../../errors.js";
import { digest } from "../../util/digest.js";
import type { FsckReport } from "../fsck.js";
import type { LineStore } from "./line-store.js";

/** What {@link copyLineage} did. */
export interface CopyReport {
  from: string;
  to: string;
  /** Lines the destination holds now (header included). */
  lines: number;
  /** Lines it already had (a resumed copy). */
  alreadyThere: number;
  copied: number;
}

/**
 * Copies every line of `source` to `target` unchanged (same bytes, so the same ids and chain), after `check`
 * (fsck on exactly those bytes) passes. The target must be empty or hold a prefix of the source (a copy that
 * stopped half-way resumes). Lines go in batches, each a compare-and-swap; the target is read back and compared.
 */
export async function copyLineage(options: {
  source: LineStore;
  target: LineStore;
  check: (lines: readonly string[]) => Promise<FsckReport>;
  batch?: number;
}): Promise<CopyReport> {
  const { source, target } = options;
  const { lines } = await source.read(0);
  if (lines.length === 0) {
    throw new BakeError({ code: "manifest-missing", message: `${source.display} holds no lineage to copy` });
  }
  const report = await options.check(lines);
  if (!report.ok) {
    const first = report.problems[0];
    throw new BakeError({
      code: "manifest-damaged",
      message: `will not copy ${source.display}: fsck found ${report.problems.length} problem(s), first at line ${first?.line}: ${first?.message}`,
      hint: `run \`bake fsck --manifest ${source.display}\` and repair the source first`,
    });
  }
  const existing = await target.read(0);
  const prefix = existing.lines.length;
  for (let i = 0; i < prefix; i++) {
    if (existing.lines[i] !== lines[i]) {
      throw new BakeError({
        code: "store-not-empty",
        message: `${target.display} already holds a different lineage (line ${i + 1} differs from ${source.display})`,
        hint: "copy into an empty store (a new branch, a new schema, a new file)",
      });
    }
  }
  if (prefix > lines.length) {
    throw new BakeError({
      code: "store-not-empty",
      message: `${target.display} holds more lines (${prefix}) than ${source.display} (${lines.length})`,
      hint: "copy into an empty store",
    });
  }
  let tip = existing.tip;
  const batch = options.batch ?? 5000;
  for (let at = prefix; at < lines.length; at += batch) {
    const chunk = lines.slice(at, at + batch);
    const outcome = await target.append(chunk, tip);
    if (!outcome.ok) {
      throw new BakeError({
        code: "store-busy",
        message: `${target.display} changed while bake copied into it (${outcome.message}); ${at} of ${lines.length} lines are there`,
        hint: "make sure nothing else writes to the destination, then run the same copy again: it resumes",
      });
    }
    tip = outcome.tip;
  }
  const written = await target.read(0);
  if (
    written.lines.length !== lines.length ||
    digest(written.lines.join("\n")) !== digest(lines.join("\n"))
  ) {
    throw new BakeError({
      code: "store-copy-mismatch",
      message: `${target.display} does not read back the same ${lines.length} lines bake wrote`,
      hint: "run `bake fsck` on both locations",
    });
  }
  return {
    from: source.display,
    to: target.display,
    lines: lines.length,
    alreadyThere: prefix,
    copied: lines.length - prefix,
  };
}
