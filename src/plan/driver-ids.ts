/** The drivers bake ships. Each lives in `src/drivers/<id>/index.ts` and exports `createDriver(): Driver`. */
export const DRIVER_IDS = ["local", "packer", "gce"] as const;
export type DriverId = (typeof DRIVER_IDS)[number];
