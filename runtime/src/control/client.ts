// The CLI's side of the control socket.
import { connect } from 'node:net';
import type { ControlRequest } from './server.ts';

export function controlRequest(socketPath: string, request: ControlRequest, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)); }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => { buffer += chunk; });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
        ? new Error(`no keepalive is running with control socket ${socketPath}`)
        : error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try { resolve(JSON.parse(buffer)); } catch { reject(new Error(`bad answer from ${socketPath}: ${buffer.slice(0, 200)}`)); }
    });
  });
}
