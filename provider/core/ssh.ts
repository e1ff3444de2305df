// SSH to a host, as the provider deploys to it (ssh2): the host key is pinned (a host presenting another
// key is refused before anything is sent), files are written atomically (a temporary file beside the
// target, synced, then renamed over it with OpenSSH's posix-rename, so a reader or a crash sees the old
// file or the new one, never half of one), and a file whose content hash already matches is not
// written at all, so a no-op update makes no writes.
//
// Closing never waits on the host for long: a session asks politely (SSH disconnect, then a TCP FIN)
// and destroys its socket if the host has not finished the close within CLOSE_GRACE_MS, and a
// connection that failed or whose host key was refused is destroyed at once. A host that vanished
// would otherwise never acknowledge the FIN, and the kernel retransmits it for about 15 minutes while
// the open socket keeps the process (the plugin, a test) alive. The session owns its TCP socket for
// that: ssh2 can only destroy a socket that is still writable, and end() has already closed that side.
//
// `roundTrips` counts the requests this client waited for: connecting (version exchange, key exchange
// and authentication, counted as one), each command, starting SFTP, and each SFTP request. It is the
// cost model of the deploy benchmarks.
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { posix } from 'node:path';
import ssh2, { type Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { HostConnection } from './schema.ts';

/** What is needed to reach a host: a Host's connection, or part of it. */
export type SshTarget = Pick<HostConnection, 'address' | 'port' | 'user' | 'privateKey' | 'hostKey' | 'insecureAcceptUnknownHostKey'>;

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** OpenSSH's fingerprint of a public key blob: "SHA256:" and the unpadded base64 of its hash. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export class HostKeyMismatchError extends Error {
  readonly presented: string;
  readonly expected: string;

  constructor(target: SshTarget, presented: Buffer, expected: Buffer) {
    super(`${target.address}:${target.port} presented host key ${fingerprint(presented)}, but hostKey pins ${fingerprint(expected)}: refusing to connect (if the host was reinstalled, pin its new key after checking it out of band)`);
    this.name = 'HostKeyMismatchError';
    this.presented = fingerprint(presented);
    this.expected = fingerprint(expected);
  }
}

/** Quotes a word for the remote POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The host key algorithms that prove a key of this type; asking for exactly these makes the server present the pinned key. */
function hostKeyAlgorithms(type: string): ConnectConfig['algorithms'] {
  const serverHostKey = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
  return { serverHostKey: serverHostKey as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> };
}

function parseHostKey(hostKey: string): { type: string; blob: Buffer } {
  const [type = '', data = ''] = hostKey.trim().split(/\s+/);
  return { type, blob: Buffer.from(data, 'base64') };
}

/** How long a closing session waits for the host to finish the close before destroying its socket. */
export const CLOSE_GRACE_MS = 1_000;

export class SshSession implements AsyncDisposable {
  /** Starts at one: the connection itself. */
  roundTrips = 1;
  /** The key the host presented, as in known_hosts ("ssh-ed25519 AAAA..."). */
  readonly presentedHostKey: string;
  private readonly client: Client;
  private readonly socket: Socket;
  /** Resolves when the socket has closed, however it closed. */
  private readonly socketClosed: Promise<void>;
  private closing: Promise<void> | undefined;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  /** Rejects when the connection goes away, so that no request waits for an answer that cannot come. */
  private readonly lost: Promise<never>;
  private readonly lostMessage: string;

  private constructor(client: Client, socket: Socket, presentedHostKey: string, target: SshTarget) {
    this.client = client;
    this.socket = socket;
    this.socketClosed = new Promise((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
    this.presentedHostKey = presentedHostKey;
    this.lostMessage = `the SSH connection to ${target.address}:${target.port} was lost`;
    this.lost = new Promise<never>((_, reject) => {
      const gone = (error?: Error): void => reject(new Error(`${this.lostMessage}${error ? `: ${error.message}` : ''}`));
      client.on('error', gone); // 'on': a second error must not go unhandled and end the plugin
      client.once('close', () => gone());
    });
    this.lost.catch(() => {}); // only a request in flight cares
  }

  /**
   * The request's answer, or the connection's loss, whichever comes first. A request made in the
   * moment between the connection dying and ssh2 saying so fails with ssh2's bare "Not connected":
   * that is the same loss, and is reported as such.
   */
  private answer<T>(request: Promise<T>): Promise<T> {
    return Promise.race([request, this.lost]).catch((error: Error) => {
      throw error.message === 'Not connected' ? new Error(this.lostMessage) : error;
    });
  }

  /**
   * Connects and authenticates, accepting only the pinned host key (or, with the loud opt-in
   * insecureAcceptUnknownHostKey, any key, which is then in `presentedHostKey`).
   */
  static connect(target: SshTarget, timeoutMs = 10_000): Promise<SshSession> {
    const pinned = target.hostKey === undefined ? undefined : parseHostKey(target.hostKey);
    if (!pinned && target.insecureAcceptUnknownHostKey !== true) {
      return Promise.reject(new Error(`${target.address}: no hostKey pinned, and insecureAcceptUnknownHostKey is not set`));
    }
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: target.address, port: target.port });
      const client = new ssh2.Client();
      let presented: Buffer | undefined;
      let presentedType = pinned?.type ?? '';
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve(new SshSession(client, socket, `${presentedType} ${presented!.toString('base64')}`, target));
      });
      // 'on': ssh2 can report more than one error for one failure (the socket's, then its own), and an
      // unhandled second one would end the process.
      client.on('error', (error) => {
        if (settled) return;
        settled = true;
        // Nothing to end politely: the connection failed or the host is not the one pinned.
        socket.destroy();
        reject(pinned && presented && !presented.equals(pinned.blob) ? new HostKeyMismatchError(target, presented, pinned.blob) : error);
      });
      client.connect({
        sock: socket,
        username: target.user,
        privateKey: target.privateKey,
        // Covers the TCP connect too: ssh2 starts it when handed a socket that is still connecting.
        readyTimeout: timeoutMs,
        // A host that stops answering (a partition, a dead sshd) is given up after about 15 s.
        keepaliveInterval: 5_000,
        keepaliveCountMax: 3,
        ...(pinned && { algorithms: hostKeyAlgorithms(pinned.type) }),
        hostVerifier: (key: Buffer) => {
          presented = key;
          // The blob starts with its own type, length-prefixed.
          if (!pinned) presentedType = key.subarray(4, 4 + key.readUInt32BE(0)).toString();
          return pinned ? key.equals(pinned.blob) : true;
        },
      });
    });
  }

  /** Runs a command (through the login shell), with `stdin` as its input. */
  exec(command: string, stdin?: Buffer | string): Promise<ExecResult> {
    this.roundTrips++;
    return this.answer(new Promise((resolve, reject) => {
      this.client.exec(command, (error, stream) => {
        if (error) return reject(error);
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        stream.on('data', (b: Buffer) => stdout.push(b));
        stream.stderr.on('data', (b: Buffer) => stderr.push(b));
        stream.once('close', (code: number | null, signal?: string) => {
          // No exit status: the command was killed by a signal, or the channel went away under it.
          if (code === null || code === undefined) reject(new Error(`${command.split('\n')[0]}: ${signal ? `killed by ${signal}` : 'no exit status (the connection was lost)'}`));
          else resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
        });
        stream.end(stdin);
      });
    }));
  }

  /** The SHA-256 of each file (undefined for a missing one), in one command. */
  async hashes(paths: readonly string[]): Promise<Map<string, string | undefined>> {
    const result = await this.exec(`sha256sum -- ${paths.map(shellQuote).join(' ')} 2>/dev/null; true`);
    return hashesFromOutput(paths, result.stdout);
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.answer(new Promise((resolve, reject) => {
      this.roundTrips++;
      this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp)));
    }));
    return this.sftpSession;
  }

  /** One SFTP request, counted. */
  private request<T>(start: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
    this.roundTrips++;
    return this.answer(new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value)))));
  }

  /**
   * Writes a new file at `path` over SFTP, synced to disk, without a hash probe or a rename: for files
   * that go into a staging directory, which is itself renamed into place once complete.
   */
  async putFile(path: string, content: Buffer | string, mode = 0o644): Promise<void> {
    const data = Buffer.from(content);
    const sftp = await this.sftp();
    const handle = await this.request<Buffer>((done) => sftp.open(path, 'w', { mode }, done));
    try {
      await this.request<void>((done) => sftp.write(handle, data, 0, data.length, 0, (error) => done(error, undefined)));
      await this.request<void>((done) => sftp.ext_openssh_fsync(handle, (error) => done(error, undefined)));
    } finally {
      await this.request<void>((done) => sftp.close(handle, (error) => done(error, undefined))).catch(() => {});
    }
  }

  /**
   * Makes `path` hold `content`, atomically, creating its directory if needed. Returns false, having
   * written nothing, when the file already holds exactly that content.
   */
  async writeFile(path: string, content: Buffer | string, mode = 0o644): Promise<boolean> {
    const data = Buffer.from(content);
    // One command both makes sure the directory exists and reads the current hash.
    const probe = await this.exec(`mkdir -p -- ${shellQuote(posix.dirname(path))} && { sha256sum -- ${shellQuote(path)} 2>/dev/null; true; }`);
    if (probe.code !== 0) throw new Error(`cannot create ${posix.dirname(path)}: ${probe.stderr.trim()}`);
    if (hashesFromOutput([path], probe.stdout).get(path) === sha256(data)) return false;

    const sftp = await this.sftp();
    const temp = posix.join(posix.dirname(path), `.${posix.basename(path)}.keepalive-${randomBytes(6).toString('hex')}`);
    const handle = await this.request<Buffer>((done) => sftp.open(temp, 'w', { mode }, done));
    try {
      await this.request<void>((done) => sftp.write(handle, data, 0, data.length, 0, (error) => done(error, undefined)));
      // On disk before the rename, so a crash cannot leave the new name on an empty file.
      await this.request<void>((done) => sftp.ext_openssh_fsync(handle, (error) => done(error, undefined)));
    } finally {
      await this.request<void>((done) => sftp.close(handle, (error) => done(error, undefined)));
    }
    try {
      await this.request<void>((done) => sftp.ext_openssh_rename(temp, path, (error) => done(error, undefined)));
    } catch (error) {
      await this.request<void>((done) => sftp.unlink(temp, () => done(undefined, undefined)));
      throw error;
    }
    return true;
  }

  /**
   * Ends the session: politely, and within CLOSE_GRACE_MS whether or not the host answers. Resolves
   * when the socket is closed; no timer of it outlives that.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (!this.socket.closed) {
      this.client.end();
      const deadline = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      void this.socketClosed.then(() => clearTimeout(deadline));
    }
    this.closing = this.socketClosed;
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Parses `sha256sum` output ("HASH  PATH" lines) for the given paths. */
function hashesFromOutput(paths: readonly string[], stdout: string): Map<string, string | undefined> {
  const found = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (match) found.set(match[2]!, match[1]!);
  }
  return new Map(paths.map((p) => [p, found.get(p)]));
}
