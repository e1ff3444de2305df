// Which dataplane forwards the virtual servers: IPVS where the kernel has it, nftables where it has
// not (or where the configuration asks for it, `lb_dataplane`). The reason goes to `keepalive status`.
import type { LbDataplane } from '../config/model.ts';
import type { Dataplane } from './model.ts';
import { IpvsDataplane } from './ipvs/dataplane.ts';
import { Ipvs, IpvsUnavailableError } from './ipvs/ipvs.ts';
import { NftablesDataplane } from './nftables/nftables.ts';

export async function openDataplane(choice: LbDataplane): Promise<Dataplane> {
  if (choice === 'nftables') return new NftablesDataplane({ reason: 'lb_dataplane nftables in the configuration' });
  let ipvs: Ipvs;
  try {
    ipvs = await Ipvs.open();
  } catch (error) {
    if (choice === 'auto' && error instanceof IpvsUnavailableError) {
      return new NftablesDataplane({ reason: `${error.message}, so nftables (lb_dataplane auto)` });
    }
    throw new Error(`lb_dataplane ${choice}: ${(error as Error).message}`);
  }
  const { version } = await ipvs.info();
  return new IpvsDataplane(ipvs, `the kernel has IPVS ${version} (lb_dataplane ${choice})`);
}
