import type { GroupRef } from "../../drivers/driver.js";
import { BakeError, ExitCode } from "../../errors.js";
import { formatAmount, parseAmount } from "../../fleet/policy.js";
import type { RetireReport } from "../../fleet/retire.js";
import type { RolloutOutcome } from "../../fleet/rollout.js";
import { describeWithId } from "../../manifest/describe.js";
import type { PlannedRolloutCheck } from "../../plan/types.js";
import { parseDuration } from "../../recipe/duration.js";
import { reporterMode } from "../../run/reporters/index.js";
import { printable } from "../../util/printable.js";
import type { CommandIO, CommandRun, OptionValues } from "../io.js";
import { jsonLine, openForCommand } from "../manifest-support.js";
import { resolveRef } from "../resolve-ref.js";
import { withRolloutView } from "../rollout-view.js";

/**
 * `bake rollout REF --target gce --group NAME (--zone Z | --region R)`: takes a managed instance group to a
 * verified record with a proactive rolling replacement, follows it to the end, rolls back on failure.
 * Exit 0 when every instance runs the record and is healthy, 1 when the rollout failed (rolled back or not),
 * 2 for bad input, 130 on SIGINT (the group keeps updating; `bake fleet` shows where it is).
 */
export const run: CommandRun = async ({ positionals, values }, io) => {
  const options = readOptions(values, io);
  const manifest = await openForCommand(values, io, { mustExist: true });
  const record = resolveRef(manifest, positionals[0] as string);
  if (record.driver !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `rollout: ${describeWithId(record)} was built with the ${record.driver} driver; only gce images roll out to groups`,
    });
  }
  const target = typeof values.recipe === "string" ? await recipeOptions(values.recipe, io) : undefined;
  const keep = options.keep ?? target?.keep;
  const gce = await import("../gce-commands.js");
  const { driver, ctx } = gce.commandDriver(io, target?.options);
  const fleet = driver.fleet;
  const json = values.json === true;
  try {
    const { rollout } = await import("../../fleet/rollout.js");
    const outcome = await withRolloutView({
      mode: reporterMode({ json, out: io.stdout, env: io.env }),
      out: io.stdout,
      title: `rollout ${options.group.name}`,
      work: (emit) =>
        rollout({
          fleet,
          ctx,
          manifest,
          record,
          group: options.group,
          policy: { maxSurge: options.maxSurge, maxUnavailable: options.maxUnavailable },
          minReadyMs: options.minReadyMs,
          timeoutMs: options.timeoutMs,
          pollMs: options.pollMs,
          ...(target?.checks ? { checks: target.checks } : {}),
          rollback: values["no-rollback"] !== true,
          dryRun: values["dry-run"] === true,
          onEvent: emit,
        }),
    });
    let retired: RetireReport | undefined;
    if (outcome.result === "succeeded" && keep !== undefined) {
      const { retireTemplates } = await import("../../fleet/retire.js");
      retired = await retireTemplates({ fleet, ctx, lineage: record.lineage, keep });
    }
    // With --json every line is one JSON object: the progress events, then this result.
    if (json) {
      io.stdout.write(
        jsonLine({
          time: new Date().toISOString(),
          type: "rollout-result",
          manifest: manifest.path,
          ...summary(outcome),
          ...(retired ? { retired } : {}),
        }),
      );
    }
    const ok = outcome.result === "succeeded" || outcome.result === "planned";
    if (!json) (ok ? io.stdout : io.stderr).write(text(outcome, options, retired));
    return ok ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    await driver.close();
  }
};

interface RolloutOptions {
  group: GroupRef;
  maxSurge: ReturnType<typeof parseAmount>;
  maxUnavailable: ReturnType<typeof parseAmount>;
  minReadyMs: number;
  timeoutMs: number;
  pollMs: number;
  keep?: number;
}

function readOptions(values: OptionValues, io: CommandIO): RolloutOptions {
  const target = typeof values.target === "string" ? values.target : "gce";
  if (target !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `rollout: the ${target} driver has no groups of servers to roll out to`,
      hint: "bake rollout REF --target gce --group NAME --zone ZONE",
    });
  }
  const name = typeof values.group === "string" ? values.group : "";
  const zone = typeof values.zone === "string" ? values.zone : undefined;
  const region = typeof values.region === "string" ? values.region : undefined;
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new BakeError({
      code: "usage",
      message:
        name === ""
          ? "rollout: --group is required"
          : `rollout: --group ${JSON.stringify(name)} is not a group name`,
      hint: "name the managed instance group: --group web --zone us-central1-a",
    });
  }
  if ((zone === undefined) === (region === undefined)) {
    throw new BakeError({
      code: "usage",
      message: "rollout: give exactly one of --zone (a zonal group) and --region (a regional group)",
    });
  }
  const duration = (option: string, fallback: string): number => {
    const raw = typeof values[option] === "string" ? (values[option] as string) : fallback;
    const ms = parseDuration(raw);
    if (ms === undefined) {
      throw new BakeError({
        code: "usage",
        message: `--${option} ${JSON.stringify(raw)} is not a duration`,
        hint: "write a duration such as 90s, 15m or 1h",
      });
    }
    return ms;
  };
  let keep: number | undefined;
  if (typeof values.keep === "string") {
    keep = Number(values.keep);
    if (!Number.isInteger(keep) || keep < 1) {
      throw new BakeError({
        code: "usage",
        message: `--keep ${JSON.stringify(values.keep)} is not a count of 1 or more`,
      });
    }
  }
  const maxSurge = parseAmount(
    "max-surge",
    typeof values["max-surge"] === "string" ? values["max-surge"] : "1",
  );
  const maxUnavailable = parseAmount(
    "max-unavailable",
    typeof values["max-unavailable"] === "string" ? values["max-unavailable"] : "0",
  );
  const zero = (amount: typeof maxSurge) => ("fixed" in amount ? amount.fixed : amount.percent) === 0;
  if (zero(maxSurge) && zero(maxUnavailable)) {
    throw new BakeError({
      code: "usage",
      message:
        "rollout: --max-surge and --max-unavailable cannot both be 0: no instance could ever be replaced",
      hint: "allow a surge (--max-surge 1) or some unavailable instances (--max-unavailable 1)",
    });
  }
  return {
    group: { name, ...(zone ? { zone } : {}), ...(region ? { region } : {}) },
    maxSurge,
    maxUnavailable,
    minReadyMs: duration("min-ready", "0s"),
    timeoutMs: duration("timeout", "30m"),
    // The gce driver's own poll interval setting also paces following a group.
    pollMs: parseDuration(io.env.BAKE_GCE_POLL_INTERVAL ?? "") ?? 2000,
    ...(keep === undefined ? {} : { keep }),
  };
}

async function recipeOptions(
  file: string,
  io: CommandIO,
): Promise<{ options: Record<string, unknown>; keep?: number; checks?: PlannedRolloutCheck[] }> {
  const { planRecipe } = await import("../../plan/plan-recipe.js");
  const { plan } = await planRecipe(file, { cwd: io.cwd, env: io.env, signal: io.signal });
  if (plan.target.driver !== "gce") {
    throw new BakeError({
      code: "usage",
      message: `rollout: ${file} builds with the ${plan.target.driver} driver, not gce`,
    });
  }
  return {
    options: plan.target.options,
    ...(plan.retain ? { keep: plan.retain.keep } : {}),
    ...(plan.rollout ? { checks: plan.rollout.checks } : {}),
  };
}

function summary(outcome: RolloutOutcome): Record<string, unknown> {
  return {
    result: outcome.result,
    reason: outcome.reason ?? null,
    group: outcome.group,
    fromTemplate: outcome.fromTemplate,
    toTemplate: outcome.toTemplate,
    fromRecord: outcome.fromRecord ?? null,
    toRecord: outcome.toRecord,
    instances: outcome.total,
    event: outcome.event?.id ?? null,
    observed: outcome.observed,
    templateDeleted: outcome.templateDeleted ?? false,
  };
}

function text(outcome: RolloutOutcome, options: RolloutOptions, retired?: RetireReport): string {
  const group = printable(outcome.group.name);
  const lines: string[] = [];
  switch (outcome.result) {
    case "planned":
      lines.push(
        `dry run: would make template ${outcome.toTemplate} from ${outcome.fromTemplate} and replace ${outcome.total} instances of ${group} (max surge ${formatAmount(options.maxSurge)}, max unavailable ${formatAmount(options.maxUnavailable)})`,
      );
      break;
    case "succeeded":
      lines.push(
        `rolled out ${outcome.toTemplate} to ${group}: ${outcome.total}/${outcome.total} instances on the new record and healthy`,
      );
      break;
    case "rolled-back":
      lines.push(
        `rollout of ${outcome.toTemplate} to ${group} failed: ${printable(outcome.reason ?? "")}`,
        `rolled back: ${group} runs ${outcome.fromTemplate} again${outcome.templateDeleted ? `; deleted template ${outcome.toTemplate}` : ""}`,
      );
      break;
    default:
      lines.push(`rollout of ${outcome.toTemplate} to ${group} failed: ${printable(outcome.reason ?? "")}`);
      lines.push(`${group} was left as it is; bake fleet --target gce shows where each instance stands`);
  }
  if (retired && retired.deleted.length > 0) lines.push(`retired templates: ${retired.deleted.join(", ")}`);
  if (retired && retired.inUse.length > 0)
    lines.push(`kept templates still in use: ${retired.inUse.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
