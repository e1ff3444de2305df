// The watchdog's children: `keepalive child vrrp|checker STATE_DIR`, forked by the watchdog over IPC.
// Each loads only its own role's modules.
import { runChild } from './watchdog/child.ts';

export async function startChild(role: string | undefined, stateDir: string | undefined): Promise<void> {
  switch (role) {
    case 'vrrp': {
      const { VrrpDaemon } = await import('./vrrp/daemon.ts');
      runChild('vrrp', new VrrpDaemon());
      return;
    }
    case 'checker': {
      const { CheckerDaemon } = await import('./checker/daemon.ts');
      runChild('checker', new CheckerDaemon(stateDir === undefined ? {} : { stateDir }));
      return;
    }
    default:
      throw new Error(`unknown child role ${JSON.stringify(role)}`);
  }
}
