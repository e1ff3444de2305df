// A sync group's own state, read off its members' states: what the group's notify scripts and SMTP
// alerts announce (keepalived's send_group_notifies). The members move together (a fault anywhere
// faults them all; one becoming master or backup takes the others along), so the group is:
//   FAULT   as soon as any member is in fault;
//   MASTER  as soon as any member is master (the others are following);
//   BACKUP  once every member is backup (a handover away from master is complete);
//   STOP    once every member has stopped, after the group had a state.
// In between (members still starting, or still stopping) the group keeps the state it had.
import type { VrrpState } from './state-machine.ts';

export type SyncGroupState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** The state the group enters, given its members' states now; undefined when it stays as it was. */
export function nextSyncGroupState(previous: SyncGroupState | undefined, members: readonly VrrpState[]): SyncGroupState | undefined {
  const running = members.filter((s) => s !== 'initialize');
  let next: SyncGroupState | undefined;
  if (members.includes('fault')) next = 'FAULT';
  else if (running.includes('master')) next = 'MASTER';
  else if (running.length === 0) next = previous === undefined ? undefined : 'STOP';
  else if (running.length === members.length) next = 'BACKUP';
  return next === previous ? undefined : next;
}
