// `keepalive topology`: the HA topology of a Pulumi stack, as text on stdout and, when asked, as an SVG
// file. The stack comes as its state (`pulumi stack export --show-secrets`); with --live, the hosts
// are read over SSH for who is master, the real servers' health and the runtimes. runtime/src/cli.ts
// loads this file only for this command, from the checkout: the runtime bundle installed on hosts
// does not carry the provider.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readLive } from './live.ts';
import { connectionsOf, parseState, topologyOf, type StackState } from './state.ts';
import { renderSvg } from './svg.ts';
import { renderText } from './view.ts';

export const TOPOLOGY_USAGE = `Usage: keepalive topology --state FILE [--live] [--svg OUT.svg]

Shows the HA topology of a Pulumi stack: hosts, VRRP groups with their master and backups, VIPs, and
virtual servers with their real servers and health.

  --state FILE   the stack's state, from \`pulumi stack export --show-secrets --file FILE\`
                 (or a file backend's stack file); - reads it from stdin. Without --show-secrets the
                 state hides, encrypted, which hosts each group and service is on.
  --live         read masters, health and runtimes from the hosts over SSH, with each Host's
                 connection in the state; otherwise they are shown as the last update or refresh
                 recorded them
  --svg OUT.svg  also draw the topology as an SVG diagram into OUT.svg
  -h, --help     show this help
`;

/** Runs the command; returns its exit status (1: could not show it, or some host could not be read; 2: usage). */
export async function topologyMain(args: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let options: { state?: string; live?: boolean; svg?: string; help?: boolean };
  try {
    options = parseArgs({
      args: [...args], strict: true, allowPositionals: false,
      options: { state: { type: 'string' }, live: { type: 'boolean' }, svg: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (error) {
    err.write(`keepalive topology: ${(error as Error).message}\n\n${TOPOLOGY_USAGE}`);
    return 2;
  }
  if (options.help) {
    out.write(TOPOLOGY_USAGE);
    return 0;
  }
  if (options.state === undefined) {
    err.write(`keepalive topology: --state FILE is needed\n\n${TOPOLOGY_USAGE}`);
    return 2;
  }
  const source = options.state === '-' ? 'stdin' : options.state;
  try {
    let state: StackState;
    try {
      state = parseState(JSON.parse(readFileSync(options.state === '-' ? 0 : options.state, 'utf8')));
    } catch (error) {
      throw new Error(`${source}: ${(error as Error).message}`);
    }
    const live = options.live ? await readLive(connectionsOf(state)) : undefined;
    const topology = topologyOf(state, live);
    out.write(renderText(topology));
    if (options.svg !== undefined) {
      // Beside its place, then renamed: a viewer reloading the file never sees half a picture.
      const temporary = `${options.svg}.${process.pid}.tmp`;
      writeFileSync(temporary, renderSvg(topology));
      renameSync(temporary, options.svg);
    }
    const unread = [...(live?.hosts ?? [])].filter(([, h]) => 'error' in h);
    for (const [name, h] of unread) err.write(`keepalive topology: could not read host ${name}: ${'error' in h ? h.error : ''}\n`);
    return unread.length > 0 ? 1 : 0;
  } catch (error) {
    err.write(`keepalive topology: ${(error as Error).message}\n`);
    return 1;
  }
}
