// The control socket in the state directory: `keepalive status` and `keepalive reload` talk to the
// running daemon through it. One JSON request per connection, one JSON response, newline-terminated.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';

export type ControlRequest = { command: 'status' } | { command: 'reload' };

const MAX_REQUEST_BYTES = 4096;

export class ControlServer {
  private readonly server: Server;
  private readonly path: string;

  private constructor(server: Server, path: string) {
    this.server = server;
    this.path = path;
  }

  /** Listens on `path` (a stale socket file from a dead instance is replaced; only root may connect). */
  static async listen(path: string, handle: (request: ControlRequest) => Promise<unknown>): Promise<ControlServer> {
    rmSync(path, { force: true });
    const server = createServer((socket) => serve(socket, handle));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    return new ControlServer(server, path);
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.path, { force: true });
  }
}

function serve(socket: Socket, handle: (request: ControlRequest) => Promise<unknown>): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES) {
      socket.end(`${JSON.stringify({ error: 'request too large' })}\n`);
      return;
    }
    const newline = buffer.indexOf('\n');
    if (newline < 0) return;
    socket.removeAllListeners('data');
    let request: ControlRequest;
    try {
      request = JSON.parse(buffer.slice(0, newline)) as ControlRequest;
    } catch {
      socket.end(`${JSON.stringify({ error: 'request is not JSON' })}\n`);
      return;
    }
    handle(request).then(
      (response) => socket.end(`${JSON.stringify(response)}\n`),
      (error: Error) => socket.end(`${JSON.stringify({ error: error.message })}\n`),
    );
  });
}
