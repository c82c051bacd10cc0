import { BakeError, ExitCode, isBakeError } from "../../errors.js";
import { summarizeGroups } from "../../fleet/groups.js";
import { recordObservations } from "../../fleet/observe.js";
import { type FleetRow, fleetRows } from "../../fleet/rows.js";
import { describeRecord } from "../../manifest/describe.js";
import { shortId } from "../../manifest/hash.js";
import { printable } from "../../util/printable.js";
import { groupsJson, renderGroups } from "../fleet-groups.js";
import type { CommandRun } from "../io.js";
import { openForCommand, statusText, stdoutStyle, writeJson } from "../manifest-support.js";

/**
 * `bake fleet [--target gce] [--recipe RECIPE] [--json]`: lists the servers the target runs, maps each boot image
 * through the manifest to its full ancestry, flags servers on revoked, deprecated, outdated or unknown images,
 * and records an `observe` event for each server whose image changed since it was last seen.
 * Exit 1 when a server runs a revoked image, else 0.
 */
export const run: CommandRun = async ({ values }, io) => {
  const target = typeof values.target === "string" ? values.target : "gce";
  if (target !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `fleet: the ${target} driver does not run servers`,
      hint: "bake fleet --target gce (with BAKE_GCE_PROJECT set, or --recipe naming a gce recipe)",
    });
  }
  const manifest = await openForCommand(values, io, { mustExist: false });
  const options = typeof values.recipe === "string" ? await recipeTarget(values.recipe, io) : undefined;
  const gce = await import("../gce-commands.js");
  const servers = await gce.gceServers(io, options);
  // Groups are extra: an account that may list instances but not groups still gets its servers.
  const { groups, templates } = await gce.gceGroups(io, options).catch((error: unknown) => {
    if (!isBakeError(error) || error.code === "interrupted") throw error;
    io.stderr.write(`warning: could not list managed instance groups: ${printable(error.message)}\n`);
    return { groups: [], templates: [] };
  });
  // A group's instances say which group they belong to, so observations (and `bake history`) know it.
  const groupOf = new Map(groups.flatMap((g) => g.members.map((m) => [m.server, g.name] as const)));
  const rows = fleetRows(manifest, servers).map((row) => {
    const group = groupOf.get(row.server);
    return group ? { ...row, details: { ...row.details, group } } : row;
  });
  const observed = await recordObservations(manifest, rows);
  const summaries = summarizeGroups(manifest, groups, templates);
  if (values.json === true) {
    writeJson(io, {
      manifest: manifest.path,
      observed,
      groups: groupsJson(summaries),
      servers: rows.map((row) => ({
        server: row.server,
        image: row.image,
        details: row.details,
        record: row.record?.id ?? null,
        lineage: row.record?.lineage ?? null,
        version: row.record?.version ?? null,
        build: row.record?.build ?? null,
        status: row.status?.status ?? null,
        reason: row.status?.reason ?? null,
        flags: row.flags,
        newest: row.newest?.id ?? null,
        ancestry: row.chain.map((record) => record.id),
        base: row.base ?? null,
      })),
    });
  } else {
    io.stdout.write(render(rows, observed, values, io));
    const text = renderGroups(summaries, stdoutStyle(io, values));
    if (text) io.stdout.write(`\n${text}`);
  }
  return rows.some((row) => row.flags.includes("revoked")) ? ExitCode.Failed : ExitCode.Ok;
};

async function recipeTarget(file: string, io: Parameters<CommandRun>[1]): Promise<Record<string, unknown>> {
  const { planRecipe } = await import("../../plan/plan-recipe.js");
  const { plan } = await planRecipe(file, { cwd: io.cwd, env: io.env, signal: io.signal });
  if (plan.target.driver !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `fleet: ${file} builds with the ${plan.target.driver} driver, not gce`,
      hint: "give a recipe whose target is gce, or set BAKE_GCE_PROJECT",
    });
  }
  return plan.target.options;
}

function render(
  rows: FleetRow[],
  observed: number,
  values: Parameters<CommandRun>[0]["values"],
  io: Parameters<CommandRun>[1],
): string {
  const style = stdoutStyle(io, values);
  if (rows.length === 0) return "no servers found\n";
  const table = rows.map((row) => [
    row.server,
    row.details.zone ?? "",
    row.record
      ? `${describeRecord(row.record)} ${row.record.version} (${shortId(row.record.id)})`
      : row.image || "(no image)",
    verdict(row, style),
  ]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(
      ...[["SERVER", "ZONE", "IMAGE"][i] as string, ...table.map((r) => r[i] as string)].map((s) => s.length),
    ),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell))
      .join("  ")
      .trimEnd();
  const out = [line(["SERVER", "ZONE", "IMAGE", "STATUS"]), ...table.map(line), ""];
  for (const row of rows) {
    if (row.chain.length === 0) continue;
    const chain = row.chain.map((record) => describeRecord(record));
    if (row.base) chain.push(row.base.ref);
    out.push(`${row.server}: ${chain.join(" <- ")}`);
  }
  const flagged = rows.filter((row) => row.flags.length > 0).length;
  out.push(
    `${rows.length} server${rows.length === 1 ? "" : "s"}, ${flagged} flagged; ${observed} observation${observed === 1 ? "" : "s"} recorded`,
  );
  return `${out.join("\n")}\n`;
}

function verdict(row: FleetRow, style: ReturnType<typeof stdoutStyle>): string {
  if (row.flags.includes("unknown")) return style.yellow("unknown to the manifest");
  const parts: string[] = [];
  if (row.status && row.status.status !== "active") parts.push(statusText(row.status, style));
  if (row.newest) parts.push(style.yellow(`outdated (newest: ${describeRecord(row.newest)})`));
  return parts.length > 0 ? parts.join(", ") : style.green("ok");
}
