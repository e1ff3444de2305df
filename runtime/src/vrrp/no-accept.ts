// Accept_Mode (RFC 5798 section 6.1): a master that is not the address owner and runs with accept
// mode off (keepalived's no_accept, and its default under vrrp_strict) must not take packets
// addressed to its virtual addresses. The VRRP child keeps one nftables table of its own,
// inet keepalive_vrrp, that drops them on input; it is rewritten in one nft transaction whenever the
// set of such addresses changes, and removed when the set is empty. The master still answers for the
// addresses: ARP never passes an inet table, and neighbour discovery is let through.
import { canonicalIp } from '../net/ip.ts';
import { runNft } from '../lb/nftables/nftables.ts';
import { log } from '../log.ts';

export const NO_ACCEPT_TABLE = 'inet keepalive_vrrp';

/** The nft script that makes the table drop exactly these addresses (none: no table). Pure. */
export function renderNoAccept(addresses: readonly string[]): string {
  const unique = [...new Set(addresses.map(canonicalIp))].sort();
  const v4 = unique.filter((a) => !a.includes(':'));
  const v6 = unique.filter((a) => a.includes(':'));
  // Declaring the table first makes the delete succeed whether or not it existed.
  const lines = [`table ${NO_ACCEPT_TABLE}`, `delete table ${NO_ACCEPT_TABLE}`];
  if (unique.length === 0) return `${lines.join('\n')}\n`;
  lines.push(`table ${NO_ACCEPT_TABLE} {`);
  if (v4.length > 0) lines.push(`  set v4 { type ipv4_addr; elements = { ${v4.join(', ')} } }`);
  if (v6.length > 0) lines.push(`  set v6 { type ipv6_addr; elements = { ${v6.join(', ')} } }`);
  lines.push('  chain input {', '    type filter hook input priority filter; policy accept;');
  if (v6.length > 0) lines.push('    ip6 daddr @v6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept');
  if (v4.length > 0) lines.push('    ip daddr @v4 drop');
  if (v6.length > 0) lines.push('    ip6 daddr @v6 drop');
  lines.push('  }', '}');
  return `${lines.join('\n')}\n`;
}

/** Applies renderNoAccept in this network namespace, one nft run at a time, and only on a change. */
export class NoAcceptFilter {
  /** Unknown at first: a table left by a child that was killed is replaced (or removed) by the first set(). */
  private applied: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly nft: string;

  constructor(nft = 'nft') {
    this.nft = nft;
  }

  /** Makes the table drop these addresses; resolves once nft has (or has failed, which is logged). */
  set(addresses: readonly string[]): Promise<void> {
    const script = renderNoAccept(addresses);
    this.queue = this.queue.then(async () => {
      if (script === this.applied) return;
      try {
        await runNft(this.nft, ['-f', '-'], script, 10_000);
        this.applied = script;
      } catch (error) {
        // Clearing a table nobody asked for (every start does, in case a killed child left one)
        // may fail quietly: on a host without nft there is none to clear.
        if (addresses.length > 0) log('error', `accept mode off: cannot update table ${NO_ACCEPT_TABLE}: ${(error as Error).message}`);
      }
    });
    return this.queue;
  }
}
