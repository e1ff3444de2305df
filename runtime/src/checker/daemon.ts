// The checker child. It will run the health checks of virtual servers and keep the dataplane in step
// with them; until load balancing lands it holds the configuration and reports that it has no work,
// so that the process model (spawn, respawn, reload, stop) is the one the checkers will live in.
import type { ChildRole } from '../watchdog/child.ts';

export class CheckerDaemon implements ChildRole {
  private appliedAt: string | undefined;

  async apply(): Promise<void> {
    this.appliedAt = new Date().toISOString();
  }

  status(): unknown {
    return { virtualServers: [], configAppliedAt: this.appliedAt };
  }

  async stop(): Promise<void> {}
}
