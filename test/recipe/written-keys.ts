// The key tables of every written type, checked against the types at compile time (here, through
// written.test-d.ts in the typecheck run) and against schemas/recipe.schema.json at run time (written.test.ts).
import type {
  WrittenCheck,
  WrittenCopyStep,
  WrittenFileCheck,
  WrittenFileStep,
  WrittenGceTarget,
  WrittenHttpCheck,
  WrittenImageConfig,
  WrittenLayer,
  WrittenLocalTarget,
  WrittenPackerTarget,
  WrittenPublish,
  WrittenRecipe,
  WrittenRolloutCheck,
  WrittenStep,
  WrittenVar,
} from "../../src/recipe/written.js";

// One source of truth: schemas/recipe.schema.json. Each table below must list exactly the keys of its type
// (the `satisfies` clauses fail `npm run typecheck` when a type gains or loses a key, or changes whether a
// key is required), and the tests fail when the schema's keys or `required` lists differ from the tables.

type AllKeys<T> = T extends unknown ? keyof T : never;
type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
/** A table of every key of T, marked true when required. */
type KeyTable<T> = { [K in AllKeys<T>]: boolean };

function table<T>() {
  return <const Table extends KeyTable<T>>(
    keys: Table & { [K in RequiredKeys<T>]: true } & Record<Exclude<keyof Table, AllKeys<T>>, never>,
  ) => keys;
}

export const tables = {
  recipe: table<WrittenRecipe>()({
    apiVersion: true,
    name: true,
    version: false,
    description: false,
    from: true,
    target: false,
    vars: false,
    layers: true,
    verify: false,
    labels: false,
    config: false,
    publish: false,
    retain: false,
    rollout: false,
  }),
  local: table<WrittenLocalTarget>()({ driver: false, network: false, platform: false }),
  packer: table<WrittenPackerTarget>()({
    driver: true,
    builder: true,
    source: false,
    parentField: false,
    packerPath: false,
  }),
  gce: table<WrittenGceTarget>()({
    driver: true,
    project: true,
    zone: true,
    machineType: false,
    network: false,
    subnetwork: false,
    serviceAccount: false,
    diskSizeGb: false,
    diskType: false,
    imageFamily: false,
    storageLocations: false,
    labels: false,
    endpoint: false,
    buildTimeout: false,
    verifyTimeout: false,
    maxRunDuration: false,
    pollInterval: false,
    retryDelay: false,
    retries: false,
    externalIp: false,
  }),
  variable: table<WrittenVar>()({
    type: false,
    default: false,
    enum: false,
    pattern: false,
    secret: false,
    description: false,
  }),
  layer: table<WrittenLayer>()({ name: true, steps: true }),
  step: table<WrittenStep>()({
    run: false,
    env: false,
    workdir: false,
    user: false,
    timeout: false,
    copy: false,
    file: false,
  }),
  copy: table<WrittenCopyStep["copy"]>()({ from: true, to: true, mode: false, owner: false }),
  file: table<WrittenFileStep["file"]>()({ path: true, content: true, mode: false, owner: false }),
  check: table<WrittenCheck>()({
    name: false,
    run: false,
    env: false,
    user: false,
    workdir: false,
    file: false,
    http: false,
    retries: false,
    interval: false,
    timeout: false,
  }),
  fileCheck: table<WrittenFileCheck["file"]>()({ path: true, exists: false, contains: false, mode: false }),
  httpCheck: table<WrittenHttpCheck["http"]>()({ url: true, status: false, bodyContains: false }),
  retain: table<NonNullable<WrittenRecipe["retain"]>>()({ keep: true }),
  rollout: table<NonNullable<WrittenRecipe["rollout"]>>()({ checks: true }),
  rolloutCheck: table<WrittenRolloutCheck>()({
    name: false,
    http: true,
    retries: false,
    interval: false,
    timeout: false,
  }),
  rolloutHttpCheck: table<WrittenRolloutCheck["http"]>()({
    port: true,
    path: true,
    status: false,
    bodyContains: false,
  }),
  config: table<WrittenImageConfig>()({
    entrypoint: false,
    cmd: false,
    env: false,
    workdir: false,
    user: false,
    exposedPorts: false,
    stopSignal: false,
    labels: false,
  }),
  publish: table<Exclude<WrittenPublish, string>>()({ to: true, username: false, password: false }),
};
