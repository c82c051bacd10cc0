// The manifest API suite for histories, run unchanged on a git store (a bare remote on disk). The resolve suite runs
// on PostgreSQL only: one of its tests registers hundreds of records to find a prefix collision, a push each on git.
import { useStoreForSuites } from "./api-suites.js";

await useStoreForSuites("git", 4);
await import("../history.test.js");
