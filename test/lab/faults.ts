// Network faults on a lab segment, as one nftables bridge table in the segment's switch namespace.
// Pure: it renders the whole table from the current set of faults, and the lab replaces the table in
// one `nft -f` transaction, so a fault is never half applied.

export type PortFault =
  | { kind: 'partition' }
  /** Drops this share of the frames in each direction, independently, at random. */
  | { kind: 'loss'; percent: number }
  /**
   * Drops the TCP segments the host sends with FIN set, and nothing else: the host closes its end of a
   * connection, and the other end never hears of it. A host that vanishes as a connection closes.
   */
  | { kind: 'lose-fin' };

export const FAULT_TABLE = 'lab_faults';

/** Renders the table for a map of bridge port name -> fault. An empty map renders an empty table. */
export function renderFaultTable(faults: ReadonlyMap<string, PortFault>): string {
  const ingress: string[] = [];
  const egress: string[] = [];
  for (const [port, fault] of [...faults].sort(([a], [b]) => a.localeCompare(b))) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(port)) throw new Error(`bad bridge port name ${JSON.stringify(port)}`);
    let verdict: string;
    switch (fault.kind) {
      case 'partition':
        verdict = 'drop';
        break;
      case 'lose-fin':
        // One direction only: what the host sends.
        ingress.push(`    iifname "${port}" tcp flags & fin == fin drop`);
        continue;
      case 'loss':
        if (!Number.isInteger(fault.percent) || fault.percent < 0 || fault.percent > 100) {
          throw new Error(`loss percent must be an integer from 0 to 100, not ${fault.percent}`);
        }
        verdict = `numgen random mod 100 < ${fault.percent} drop`;
        break;
    }
    // Frames from the host are dropped before the bridge sees them (prerouting), so neither the other
    // ports nor the bridge itself receive them; frames towards the host are dropped on the way out.
    ingress.push(`    iifname "${port}" ${verdict}`);
    egress.push(`    oifname "${port}" ${verdict}`);
  }
  return [
    // Declaring then deleting makes the script work whether or not the table exists yet.
    `table bridge ${FAULT_TABLE}`,
    `delete table bridge ${FAULT_TABLE}`,
    `table bridge ${FAULT_TABLE} {`,
    '  chain from_hosts {',
    '    type filter hook prerouting priority -200; policy accept;',
    ...ingress,
    '  }',
    '  chain to_hosts {',
    '    type filter hook forward priority -200; policy accept;',
    ...egress,
    '  }',
    '}',
    '',
  ].join('\n');
}
