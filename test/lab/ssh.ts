// Each lab host runs Debian's OpenSSH server, with a host key generated for the run. The lab
// reaches it with one generated client key and accepts only the host key it generated: pinned. Tests
// talk to it through the provider's own SSH client (provider/core/ssh.ts), the one whose closing is
// bounded, so that no test holds a socket to a host the lab has removed.
import { readFileSync, writeFileSync } from 'node:fs';
import type { SshTarget as DeployTarget } from '../../provider/core/ssh.ts';
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

/** A host's sshd as the provider's SSH client takes it: its host key pinned. */
export function sessionTarget(ssh: SshTarget): DeployTarget {
  return { address: ssh.host, port: ssh.port, user: ssh.username, privateKey: ssh.privateKey.toString(), hostKey: ssh.hostKey };
}
