import { afterAll } from "vitest";
import { startCluster, type TestCluster } from "./postgres-cluster.js";
import { storeKinds } from "./store-kinds.js";

/**
 * Prepares fresh locations of one store kind for `tempManifest()`, so that test files importing this module's
 * caller re-run the manifest API suites (resolve, history) on that store, unchanged.
 */
export async function useStoreForSuites(kind: "git" | "postgres", count: number): Promise<void> {
  let cluster: TestCluster | undefined;
  if (kind === "postgres") {
    cluster = await startCluster();
    afterAll(() => cluster?.destroy());
  }
  const store = storeKinds(() => cluster as TestCluster).find((each) => each.name === kind);
  const locations: string[] = [];
  for (let i = 0; i < count; i++) locations.push(await (store?.fresh() as Promise<string>));
  (globalThis as { bakeTestStores?: string[] }).bakeTestStores = locations;
}
