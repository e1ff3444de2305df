// Entry point of the watchdog's children: `node child.ts vrrp|checker`, forked by the watchdog.
import { runChild } from './watchdog/child.ts';

const role = process.argv[2];
switch (role) {
  case 'vrrp': {
    const { VrrpDaemon } = await import('./vrrp/daemon.ts');
    runChild('vrrp', new VrrpDaemon());
    break;
  }
  case 'checker': {
    const { CheckerDaemon } = await import('./checker/daemon.ts');
    runChild('checker', new CheckerDaemon());
    break;
  }
  default:
    process.stderr.write(`keepalive child: unknown role ${JSON.stringify(role)}\n`);
    process.exit(2);
}
