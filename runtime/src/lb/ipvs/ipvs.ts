// The IPVS adapter: a generic netlink socket in the calling process's network namespace, the "IPVS"
// family resolved once at open, and one method per kernel operation. What to send comes from
// codec.ts; what to change comes from diff.ts.
import { NetlinkError, type NetlinkMessage } from '../../net/netlink.ts';
import { NetlinkSocket, type NetlinkRequest } from '../../net/netlink-socket.ts';
import { NETLINK_GENERIC, decodeFamily, getFamilyRequest } from '../../net/genetlink.ts';
import {
  IPVS_GENL_NAME, decodeDestination, decodeDestinationTraffic, decodeInfo, decodeService, decodeServiceTraffic, deleteDestinationRequest,
  deleteServiceRequest, describeDestination, describeService, getDestinationsRequest, getInfoRequest, getServicesRequest,
  newDestinationRequest, newServiceRequest, setDestinationRequest, setServiceRequest,
  decodeDaemon, deleteDaemonRequest, getDaemonsRequest, newDaemonRequest,
  type IpvsDestination, type IpvsInfo, type IpvsService, type IpvsServiceKey, type IpvsSyncDaemon, type SyncState,
} from './codec.ts';
import { diffTables, type IpvsOperation, type IpvsTable, type IpvsVirtualService } from './diff.ts';
import type { TrafficCounters } from '../model.ts';

/** A service with its destinations, each with the kernel's traffic counters (ipvsadm --stats). */
export interface IpvsTraffic {
  service: IpvsService;
  counters: TrafficCounters;
  destinations: { destination: IpvsDestination; counters: TrafficCounters }[];
}

/** The kernel has no IPVS: the module is not loaded and cannot be, or the kernel was built without it. */
export class IpvsUnavailableError extends Error {
  override name = 'IpvsUnavailableError';
  constructor() { super(`the kernel has no IPVS (generic netlink family ${IPVS_GENL_NAME} not found)`); }
}

/** A dump the kernel marks interrupted (the table changed under it) is read again, this many times. */
const DUMP_ATTEMPTS = 3;

export class Ipvs {
  private readonly socket: NetlinkSocket;
  /** The message type the kernel gave the IPVS family when it registered it. */
  readonly familyId: number;

  private constructor(socket: NetlinkSocket, familyId: number) {
    this.socket = socket;
    this.familyId = familyId;
  }

  /**
   * Resolves the IPVS family. Rejects with IpvsUnavailableError when the kernel has none (asking the
   * controller for it also makes the kernel try to load ip_vs, as `modprobe` would).
   */
  static async open({ timeoutMs }: { timeoutMs?: number } = {}): Promise<Ipvs> {
    const socket = new NetlinkSocket(NETLINK_GENERIC, timeoutMs === undefined ? {} : { timeoutMs });
    try {
      const { messages } = await socket.request(`resolve generic netlink family ${IPVS_GENL_NAME}`, getFamilyRequest(IPVS_GENL_NAME));
      const answer = messages[0];
      if (!answer) throw new Error(`resolve generic netlink family ${IPVS_GENL_NAME}: the kernel acked with no answer`);
      return new Ipvs(socket, decodeFamily(answer).id);
    } catch (error) {
      socket.close();
      if (error instanceof NetlinkError && error.code === 'ENOENT') throw new IpvsUnavailableError();
      throw error;
    }
  }

  close(): void { this.socket.close(); }
  [Symbol.dispose](): void { this.close(); }

  async info(): Promise<IpvsInfo> {
    const { messages } = await this.socket.request('IPVS info', getInfoRequest(this.familyId));
    const answer = messages[0];
    if (!answer) throw new Error('IPVS info: the kernel acked with no answer');
    return decodeInfo(answer);
  }

  async listServices(): Promise<IpvsService[]> {
    return (await this.serviceMessages()).map(decodeService);
  }

  /** An empty list for a service that is not there: the kernel's dump does not tell the two apart. */
  async listDestinations(service: IpvsServiceKey): Promise<IpvsDestination[]> {
    return (await this.destinationMessages(service)).map((m) => decodeDestination(m, service.family));
  }

  /** The services `wanted` picks (all by default), with their destinations and traffic counters. */
  async readTraffic(wanted: (service: IpvsService) => boolean = () => true): Promise<IpvsTraffic[]> {
    const traffic: IpvsTraffic[] = [];
    for (const message of await this.serviceMessages()) {
      const service = decodeService(message);
      if (!wanted(service)) continue;
      const destinations = (await this.destinationMessages(service))
        .map((m) => ({ destination: decodeDestination(m, service.family), counters: decodeDestinationTraffic(m) }));
      traffic.push({ service, counters: decodeServiceTraffic(message), destinations });
    }
    return traffic;
  }

  private async serviceMessages(): Promise<NetlinkMessage[]> {
    return (await this.dump('list IPVS services', getServicesRequest(this.familyId))).filter((m) => m.type === this.familyId);
  }

  private async destinationMessages(service: IpvsServiceKey): Promise<NetlinkMessage[]> {
    const messages = await this.dump(`list destinations of ${describeService(service)}`, getDestinationsRequest(this.familyId, service));
    return messages.filter((m) => m.type === this.familyId);
  }

  /** The kernel's whole table, services with their destinations. */
  async readTable(): Promise<IpvsVirtualService[]> {
    const services = await this.listServices();
    const table: IpvsVirtualService[] = [];
    for (const service of services) table.push({ service, destinations: await this.listDestinations(service) });
    return table;
  }

  /** Rejects with EEXIST when it is there, ENOENT (saying which) when the kernel lacks its scheduler. */
  async addService(service: IpvsService): Promise<void> {
    await this.serviceRequest(`add ${describeService(service)}`, service, newServiceRequest(this.familyId, service));
  }

  /** Rejects with ESRCH when there is no such service, ENOENT as addService. */
  async editService(service: IpvsService): Promise<void> {
    await this.serviceRequest(`edit ${describeService(service)}`, service, setServiceRequest(this.familyId, service));
  }

  /**
   * The kernel answers a scheduler or persistence engine it cannot find (nor load) with a bare ENOENT
   * and a line in its log; the error says which name it was instead.
   */
  private async serviceRequest(operation: string, service: IpvsService, req: NetlinkRequest): Promise<void> {
    try {
      await this.socket.request(operation, req);
    } catch (error) {
      if (!(error instanceof NetlinkError) || error.code !== 'ENOENT') throw error;
      const engine = service.peName ? ` or no persistence engine ${JSON.stringify(service.peName)}` : '';
      throw new NetlinkError(operation, error.errno, `the kernel has no scheduler ${JSON.stringify(service.scheduler)}${engine}`);
    }
  }

  /** Deletes the service and its destinations; rejects with ESRCH when there is no such service. */
  async deleteService(service: IpvsServiceKey): Promise<void> {
    await this.socket.request(`delete ${describeService(service)}`, deleteServiceRequest(this.familyId, service));
  }

  /** Rejects with EEXIST when it is there, ESRCH when the service is not. */
  async addDestination(service: IpvsServiceKey, destination: IpvsDestination): Promise<void> {
    await this.socket.request(`add ${describeDestination(destination)} to ${describeService(service)}`, newDestinationRequest(this.familyId, service, destination));
  }

  /** Rejects with ENOENT when there is no such destination. */
  async editDestination(service: IpvsServiceKey, destination: IpvsDestination): Promise<void> {
    await this.socket.request(`edit ${describeDestination(destination)} in ${describeService(service)}`, setDestinationRequest(this.familyId, service, destination));
  }

  /** Rejects with ENOENT when there is no such destination. */
  async deleteDestination(service: IpvsServiceKey, destination: IpvsDestination): Promise<void> {
    await this.socket.request(`delete ${describeDestination(destination)} from ${describeService(service)}`, deleteDestinationRequest(this.familyId, service, destination));
  }

  /** Starts the connection sync daemon in one role; rejects with EEXIST when that role already runs. */
  async startSyncDaemon(daemon: IpvsSyncDaemon): Promise<void> {
    await this.socket.request(`start the IPVS sync daemon as ${daemon.state} on ${daemon.interface}`, newDaemonRequest(this.familyId, daemon));
  }

  /** Stops one role of the sync daemon; rejects with ESRCH when it does not run. */
  async stopSyncDaemon(state: SyncState): Promise<void> {
    await this.socket.request(`stop the IPVS sync daemon's ${state}`, deleteDaemonRequest(this.familyId, state));
  }

  /** The roles that run now (none, master, backup or both). */
  async listSyncDaemons(): Promise<IpvsSyncDaemon[]> {
    const messages = await this.dump('list IPVS sync daemons', getDaemonsRequest(this.familyId));
    return messages.filter((m) => m.type === this.familyId).map(decodeDaemon);
  }

  /** Applies operations in order; the first refusal rejects, and the operations after it are not sent. */
  async apply(operations: readonly IpvsOperation[]): Promise<void> {
    for (const op of operations) {
      switch (op.kind) {
        case 'add-service': await this.addService(op.service); break;
        case 'edit-service': await this.editService(op.service); break;
        case 'delete-service': await this.deleteService(op.service); break;
        case 'add-destination': await this.addDestination(op.service, op.destination); break;
        case 'edit-destination': await this.editDestination(op.service, op.destination); break;
        case 'delete-destination': await this.deleteDestination(op.service, op.destination); break;
      }
    }
  }

  /**
   * Makes the kernel's table the desired one: reads it back, applies the difference, and returns the
   * operations it took (none when nothing had drifted).
   */
  async reconcile(desired: IpvsTable): Promise<IpvsOperation[]> {
    const operations = diffTables(desired, await this.readTable());
    await this.apply(operations);
    return operations;
  }

  private async dump(operation: string, req: NetlinkRequest): Promise<NetlinkMessage[]> {
    for (let attempt = 1; ; attempt++) {
      const { messages, interrupted } = await this.socket.request(operation, req, { dump: true });
      if (!interrupted) return messages;
      if (attempt === DUMP_ATTEMPTS) throw new Error(`${operation}: the table kept changing during the dump (${DUMP_ATTEMPTS} attempts)`);
    }
  }
}
