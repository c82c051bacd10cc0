import { type Rule, report } from "./context.js";

/** Layer names identify cached layers and manifest records, so each appears once. */
export const uniqueLayerNames: Rule = (ctx) => {
  const first = new Map<string, number>();
  ctx.recipe.layers.forEach((layer, index) => {
    const earlier = first.get(layer.name);
    if (earlier === undefined) {
      first.set(layer.name, index);
      return;
    }
    report(
      ctx,
      "error",
      { path: ["layers", index, "name"] },
      {
        code: "duplicate-layer",
        message: `layer name \`${layer.name}\` is used twice (layers ${earlier + 1} and ${index + 1})`,
        hint: "give each layer its own name: it identifies the layer's cache entry and manifest record",
      },
    );
  });
};
