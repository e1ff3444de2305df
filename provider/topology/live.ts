// The hosts of a stack, read live over SSH for the topology: one connection per host, all at once, and
// the provider's own probe (install.ts, as Read uses it): the runtime's version, whether it runs, and
// its `keepalive status --json`, from which state.ts takes masters and health the way Read
// does. A host that cannot be reached is reported as such; the others are still read.
import { probeHost } from '../core/install.ts';
import type { HostConnection } from '../core/schema.ts';
import { SshSession } from '../core/ssh.ts';
import type { LiveHost, LiveReading } from './state.ts';

export async function readLive(connections: readonly HostConnection[], timeoutMs = 10_000): Promise<LiveReading> {
  const readAt = new Date().toISOString();
  const hosts = new Map<string, LiveHost>();
  await Promise.all(connections.map(async (connection) => {
    try {
      await using session = await SshSession.connect(connection, timeoutMs);
      // Which bundle the host should have does not matter here: no bundle id, so none is checked.
      const probe = await probeHost(session, connection, '', true);
      hosts.set(connection.name, {
        runtimeVersion: probe.version ?? '',
        running: probe.pid !== undefined,
        ...(probe.status && { status: probe.status }),
      });
    } catch (error) {
      hosts.set(connection.name, { error: (error as Error).message });
    }
  }));
  return { readAt, hosts };
}
