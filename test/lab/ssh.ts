// Each lab host runs Debian's OpenSSH server, with a host key generated for the run. The lab
// reaches it with one generated client key and accepts only the host key it generated: pinned.
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { run, waitFor } from './exec.ts';
import { LAB_ENV } from './processes.ts';
import type { Lab } from './lab.ts';
import type { SshTarget } from './host.ts';

async function keygen(path: string, comment: string): Promise<void> {
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

export async function startSshd(lab: Lab): Promise<void> {
  const clientKey = `${lab.dir}/client_key`;
  await keygen(clientKey, `keepalive-lab-${lab.id}`);
  const privateKey = readFileSync(clientKey);
  await Promise.all([...lab.hosts.values()].map(async (host) => {
    const hostKey = `${host.dir}/ssh_host_ed25519_key`;
    await keygen(hostKey, host.name);
    const config = `${host.dir}/sshd_config`;
    writeFileSync(config, [
      'Port 22',
      `HostKey ${hostKey}`,
      'PidFile /run/sshd.pid',
      `AuthorizedKeysFile ${clientKey}.pub`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // No PAM in a namespace without a login stack; keys live under /tmp, which StrictModes rejects.
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      // What runs over SSH (a runtime the provider starts) carries the lab's mark like every process
      // the lab starts itself, so teardown finds and stops it.
      `SetEnv ${LAB_ENV}=${lab.id}`,
      '',
    ].join('\n'));
    await host.startDaemon('sshd', ['/usr/sbin/sshd', '-D', '-e', '-f', config], { pidFile: '/run/sshd.pid' });
    await waitFor(`sshd on ${host.name} to listen`, async () => {
      const { stdout } = await host.exec(['ss', '-Hltn', 'sport = :22']);
      return stdout.trim() ? true : undefined;
    });
    host.ssh = {
      host: host.ipv4(),
      port: 22,
      username: 'root',
      privateKey,
      hostKey: readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
    };
  }));
}

/** Opens an SSH connection that accepts only the pinned host key. */
export function sshConnect(target: SshTarget, timeoutMs = 10_000): Promise<Client> {
  const pinned = Buffer.from(target.hostKey.split(' ')[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => key.equals(pinned),
    });
  });
}

/** Runs one command over SSH and returns its exit code and output. */
export async function sshExec(target: SshTarget, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const client = await sshConnect(target);
  try {
    return await new Promise((resolve, reject) => {
      client.exec(command, (error, stream) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        stream.on('data', (b: Buffer) => { stdout += b.toString(); });
        stream.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
        stream.on('close', (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    });
  } finally {
    client.end();
  }
}
