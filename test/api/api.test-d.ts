import { describe, expectTypeOf, it } from "vitest";
import {
  type BuildPlan,
  type CompileContext,
  canonicalJson,
  compile,
  gatherInputs,
  type ParentSpec,
  type PlannedRecipe,
  type PlannedStep,
  type PlanString,
  planRecipe,
  type Recipe,
  type RecipeInputs,
  type SecretTemplate,
  type VarValue,
} from "../../src/index.js";

describe("the compiler's public types", () => {
  it("compile takes a recipe and a context and returns a build plan synchronously", () => {
    expectTypeOf(compile).parameters.toEqualTypeOf<[Recipe, CompileContext]>();
    expectTypeOf(compile).returns.toEqualTypeOf<BuildPlan>();
  });

  it("a compile context holds resolved variables, gathered inputs, and optional extra secret names, target and path mode", () => {
    expectTypeOf<CompileContext>().toEqualTypeOf<{
      vars: Record<string, VarValue>;
      secretNames?: readonly string[];
      inputs: RecipeInputs;
      target?: string;
      absolutePaths?: boolean;
    }>();
  });

  it("gatherInputs is the asynchronous step before compile", () => {
    expectTypeOf(gatherInputs).parameters.toEqualTypeOf<[Recipe]>();
    expectTypeOf(gatherInputs).returns.resolves.toEqualTypeOf<RecipeInputs>();
    expectTypeOf<RecipeInputs["recipeDigest"]>().toBeString();
  });

  it("planRecipe resolves to a plan, its secret values and the recipe's warnings", () => {
    expectTypeOf(planRecipe).parameter(0).toBeString();
    expectTypeOf(planRecipe).parameter(1).toHaveProperty("cwd").toBeString();
    expectTypeOf(planRecipe).returns.resolves.toEqualTypeOf<PlannedRecipe>();
    expectTypeOf<PlannedRecipe["plan"]>().toEqualTypeOf<BuildPlan>();
    expectTypeOf<PlannedRecipe["secrets"]>().toEqualTypeOf<Readonly<Record<string, string>>>();
  });

  it("canonicalJson accepts any value and returns a string", () => {
    expectTypeOf(canonicalJson).parameter(0).toBeUnknown();
    expectTypeOf(canonicalJson).returns.toBeString();
  });

  it("a build plan carries lineage as typed fields", () => {
    expectTypeOf<BuildPlan["apiVersion"]>().toEqualTypeOf<"bake/plan/v1">();
    expectTypeOf<BuildPlan["lineage"]>().toBeString();
    expectTypeOf<BuildPlan["parent"]>().toEqualTypeOf<ParentSpec>();
    expectTypeOf<BuildPlan["secrets"]>().toEqualTypeOf<string[]>();
    expectTypeOf<BuildPlan["layers"][number]["inputsDigest"]>().toBeString();
    expectTypeOf<BuildPlan["layers"][number]["steps"]>().toEqualTypeOf<PlannedStep[]>();
  });

  it("a parent is either a lineage or an external image, told apart by kind", () => {
    expectTypeOf<ParentSpec["kind"]>().toEqualTypeOf<"lineage" | "external">();
    expectTypeOf<Extract<ParentSpec, { kind: "lineage" }>>().toHaveProperty("lineage").toBeString();
    expectTypeOf<Extract<ParentSpec, { kind: "external" }>["scheme"]>().toEqualTypeOf<
      "scratch" | "host" | "oci-archive" | "docker-archive" | "dir" | "gce" | "docker"
    >();
  });

  it("secret-bearing fields are plan strings, plain fields are strings", () => {
    expectTypeOf<PlanString>().toEqualTypeOf<string | SecretTemplate>();
    expectTypeOf<Extract<PlannedStep, { kind: "file" }>["content"]>().toEqualTypeOf<PlanString>();
    expectTypeOf<Extract<PlannedStep, { kind: "file" }>["path"]>().toEqualTypeOf<string>();
    expectTypeOf<Extract<PlannedStep, { kind: "run" }>["env"]>().toEqualTypeOf<Record<string, PlanString>>();
  });
});
