import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Sandboxes, dockerd and packer share two cores; parallel files would only thrash.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ["default"],
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
