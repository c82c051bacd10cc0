import type { ImageRecord } from "../../manifest/types.js";
import type { BuildPlan } from "../../plan/types.js";
import { canonicalJson } from "../../util/canonical-json.js";
import { verifyDigest } from "../cache.js";
import type { RunnerManifest } from "../manifest-port.js";
import type { RecipeTree, TreeRecipe } from "./graph.js";

/** Why a recipe's newest image no longer matches what the recipe would build. */
export interface StaleReason {
  code:
    | "no-image"
    | "image-revoked"
    | "parent-moved"
    | "parent-outdated"
    | "parent-revoked"
    | "parent-deprecated"
    | "from-changed"
    | "inputs-changed"
    | "version-changed"
    | "verify-changed"
    | "labels-changed";
  message: string;
}

/** Whether one recipe's newest image is stale, and why. */
export interface RecipeFreshness {
  lineage: string;
  file: string;
  outdated: boolean;
  reasons: StaleReason[];
  /** The lineage's newest image, when there is one. */
  image?: { id: string; version: string; build?: number };
}

/**
 * Says, for each recipe of a tree (parents first), whether its newest image is stale: its parent reference now
 * resolves to another record, its parent was revoked or deprecated, its layer inputs, version, labels or checks
 * changed, or there is no image yet. A recipe whose parent in the tree is stale is stale too, because a rebuild
 * of the parent moves it.
 *
 * @param plans - each recipe's compiled plan, by lineage.
 */
export function findOutdated(
  tree: RecipeTree,
  options: { plans: ReadonlyMap<string, BuildPlan>; manifest: RunnerManifest },
): RecipeFreshness[] {
  const results = new Map<string, RecipeFreshness>();
  for (const recipe of tree.order) {
    const plan = options.plans.get(recipe.lineage) as BuildPlan;
    const parentInTree = tree.parentOf.get(recipe.lineage);
    const parentStale = parentInTree !== undefined && results.get(parentInTree)?.outdated === true;
    results.set(
      recipe.lineage,
      freshness(recipe, { plan, manifest: options.manifest, parentStale, parentInTree }),
    );
  }
  return tree.order.map((recipe) => results.get(recipe.lineage) as RecipeFreshness);
}

function freshness(
  recipe: TreeRecipe,
  options: {
    plan: BuildPlan;
    manifest: RunnerManifest;
    parentStale: boolean;
    parentInTree: string | undefined;
  },
): RecipeFreshness {
  const { plan, manifest } = options;
  const base = { lineage: recipe.lineage, file: recipe.file };
  const image = newestImage(manifest, recipe.lineage);
  if (!image) {
    return { ...base, outdated: true, reasons: [{ code: "no-image", message: "there is no image yet" }] };
  }
  const reasons: StaleReason[] = [];
  const own = manifest.status(image.id);
  if (own.status === "revoked") {
    reasons.push({ code: "image-revoked", message: `its newest image is revoked${because(own.reason)}` });
  }
  reasons.push(...parentReasons(image, options));
  reasons.push(...contentReasons(image, plan));
  return {
    ...base,
    outdated: reasons.length > 0,
    reasons,
    image: {
      id: image.id,
      version: image.version,
      ...(image.build === undefined ? {} : { build: image.build }),
    },
  };
}

function parentReasons(
  image: ImageRecord,
  options: {
    plan: BuildPlan;
    manifest: RunnerManifest;
    parentStale: boolean;
    parentInTree: string | undefined;
  },
): StaleReason[] {
  const { plan, manifest } = options;
  const recordedRef = image.details?.parentRef;
  if (recordedRef !== undefined && recordedRef !== plan.parent.ref) {
    return [{ code: "from-changed", message: `from: changed from "${recordedRef}" to "${plan.parent.ref}"` }];
  }
  if (plan.parent.kind !== "lineage" || !("record" in image.parent)) return [];
  const reasons: StaleReason[] = [];
  const builtOn = image.parent.record;
  if (options.parentStale) {
    reasons.push({
      code: "parent-outdated",
      message: `its parent ${options.parentInTree} is outdated and will be rebuilt first`,
    });
  } else {
    const now = tryResolve(manifest, plan.parent.ref);
    if (now && now.id !== builtOn) {
      reasons.push({
        code: "parent-moved",
        message: `${plan.parent.ref} now resolves to ${label(now)}, not the ${label(manifest, builtOn)} it was built on`,
      });
    }
  }
  const parentStatus = manifest.status(builtOn);
  if (parentStatus.status === "revoked") {
    reasons.push({
      code: "parent-revoked",
      message: `its parent ${label(manifest, builtOn)} is revoked${because(parentStatus.reason)}`,
    });
  } else if (parentStatus.status === "deprecated") {
    reasons.push({
      code: "parent-deprecated",
      message: `its parent ${label(manifest, builtOn)} is deprecated${because(parentStatus.reason)}`,
    });
  }
  return reasons;
}

function contentReasons(image: ImageRecord, plan: BuildPlan): StaleReason[] {
  const reasons: StaleReason[] = [];
  const built = new Map((image.layers ?? []).map((layer) => [layer.name, layer.inputsDigest]));
  const changed = plan.layers
    .filter((layer) => built.get(layer.name) !== layer.inputsDigest)
    .map((l) => l.name);
  const removed = [...built.keys()].filter((name) => !plan.layers.some((layer) => layer.name === name));
  if (changed.length > 0 || removed.length > 0) {
    const parts = [
      ...(changed.length > 0 ? [`layer inputs changed: ${changed.join(", ")}`] : []),
      ...(removed.length > 0 ? [`layers removed: ${removed.join(", ")}`] : []),
    ];
    reasons.push({ code: "inputs-changed", message: parts.join("; ") });
  }
  if (image.version !== plan.version) {
    reasons.push({
      code: "version-changed",
      message: `version changed from ${image.version} to ${plan.version}`,
    });
  }
  if (canonicalJson(image.labels ?? {}) !== canonicalJson(plan.labels)) {
    reasons.push({ code: "labels-changed", message: "labels changed" });
  }
  if (image.details?.verifyDigest !== undefined && image.details.verifyDigest !== verifyDigest(plan)) {
    reasons.push({ code: "verify-changed", message: "verify checks changed" });
  }
  return reasons;
}

function newestImage(manifest: RunnerManifest, lineage: string): ImageRecord | undefined {
  const records = manifest.records();
  for (let index = records.length - 1; index >= 0; index--) {
    const record = records[index] as ImageRecord;
    if (record.kind === "image" && record.lineage === lineage) return record;
  }
  return undefined;
}

function tryResolve(manifest: RunnerManifest, ref: string): ImageRecord | undefined {
  try {
    return manifest.resolve(ref);
  } catch {
    return undefined;
  }
}

function label(recordOrManifest: ImageRecord | RunnerManifest, id?: string): string {
  const record =
    "records" in recordOrManifest ? recordOrManifest.records().find((r) => r.id === id) : recordOrManifest;
  if (!record) return (id ?? "").slice(0, 19);
  return `${record.lineage}#${record.build ?? "?"} (${record.id.slice(7, 19)})`;
}

function because(reason: string | undefined): string {
  return reason ? `: ${reason}` : "";
}
