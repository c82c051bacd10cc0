import type { Driver, DriverContext, ServerObservation } from "../drivers/driver.js";

/** Every server the driver's platform runs and its exact image, in the platform's order. */
export async function collectServers(driver: Driver, ctx: DriverContext): Promise<ServerObservation[]> {
  const servers: ServerObservation[] = [];
  if (!driver.servers) return servers;
  for await (const server of driver.servers(ctx)) servers.push(server);
  return servers;
}
