// keepalived's net_namespace NAME: the runtime runs in a named network namespace (`ip netns add NAME`
// makes /run/netns/NAME), its VRRP, checks and load balancing all there. The watchdog enters it on
// its main thread before it opens a socket or starts a child, so both children, forked from that
// thread, are born in it. As in keepalived, a reload cannot move the runtime to another namespace.
import { closeSync, openSync } from 'node:fs';
import { setns } from './native.ts';

const CLONE_NEWNET = 0x40000000;
export const NETNS_DIR = '/run/netns';

/** Moves the calling thread into network namespace `name`; throws with the reason and the fix. */
export function enterNetNamespace(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new Error(`net_namespace ${JSON.stringify(name)} is not a namespace name`);
  const path = `${NETNS_DIR}/${name}`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`net_namespace ${name}: ${path} cannot be opened (${(error as NodeJS.ErrnoException).code}); create the namespace with: ip netns add ${name}`);
  }
  try {
    setns(fd, CLONE_NEWNET);
  } catch (error) {
    throw new Error(`net_namespace ${name}: setns failed (${(error as NodeJS.ErrnoException).code}): is ${path} a network namespace, and is keepalive root?`);
  } finally {
    closeSync(fd);
  }
}
