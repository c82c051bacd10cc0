// The manifest API suites for references and histories, run unchanged on a PostgreSQL store.
import { useStoreForSuites } from "./api-suites.js";

await useStoreForSuites("postgres", 16);
await import("../resolve.test.js");
await import("../history.test.js");
