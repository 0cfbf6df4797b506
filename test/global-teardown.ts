export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { omsTestPostgres?: { stop(): Promise<void> }[] }).omsTestPostgres ?? [];
  await Promise.all(servers.map((s) => s.stop()));
}
