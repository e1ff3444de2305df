// keepalived's SSL block, for SSL_GET against a server that requires a client certificate: Debian's
// nginx in a lab host with `ssl_verify_client on`, its server certificate and the client's signed by a
// CA the test makes with openssl, the client key encrypted. The checks are planned from a keepalived.conf
// (the SSL block's certificate, key, password and ca, and tls_verify), so the whole path from the
// configuration to the handshake is under test: with the block, the check passes and nginx logs the
// client's name; without it, nginx answers 400; with a wrong password, the key cannot be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab/lab.ts';
import { parseConfigText } from '../runtime/src/config/load.ts';
import { checkerPlan } from '../runtime/src/checker/from-config.ts';
import type { CheckResult, CheckSpec } from '../runtime/src/checker/check.ts';
import { nginxConf, startNginx } from './fixtures/checker/nginx.ts';

const RUN_CHECKS = fileURLToPath(new URL('fixtures/checker/run-checks.ts', import.meta.url));
const PASSWORD = 'client-key-password';

/** A CA, a server certificate for rs.lab.test and a client certificate, both signed by it; the client key encrypted. */
function certificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (name: string): string => `${dir}/${name}`;
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }); };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  openssl('req', '-x509', ...ec, '-nodes', '-days', '1', '-subj', '/CN=lab CA', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'));
  const signed = (name: string, subject: string, extension: string, keyArgs: string[]): void => {
    openssl('req', ...ec, ...keyArgs, '-subj', subject, '-keyout', f(`${name}-key.pem`), '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), `${extension}\n`);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  };
  signed('server', '/CN=rs.lab.test', 'subjectAltName=DNS:rs.lab.test', ['-nodes']);
  signed('client', '/CN=keepalive-checker', 'extendedKeyUsage=clientAuth', ['-passout', `pass:${PASSWORD}`]);
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server-key.pem'), clientCert: f('client.pem'), clientKey: f('client-key.pem') };
}

test('SSL block: SSL_GET presents the client certificate nginx requires, with the encrypted key\'s password; without it, 400', { timeout: 120_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['lb', 'rs'], ssh: false, management: false });
  const [lb, rs] = [lab.host('lb'), lab.host('rs')];
  const pem = certificates(lab.dir);
  const dir = '/run/nginx-client-cert';
  rs.writeFile(`${dir}/nginx.conf`, nginxConf(dir, `  log_format client '$ssl_client_s_dn $status';
  server {
    listen ${rs.ipv4()}:443 ssl;
    server_name rs.lab.test;
    ssl_certificate ${pem.serverCert};
    ssl_certificate_key ${pem.serverKey};
    ssl_client_certificate ${pem.ca};
    ssl_verify_client on;
    access_log ${dir}/clients.log client;
    location / { return 200 "ok\\n"; }
  }`));
  await startNginx(rs, dir);

  /** The SSL_GET spec keepalive plans from a keepalived.conf with these SSL block lines. */
  const planned = (ssl: string[]): CheckSpec => {
    const { config } = parseConfigText([
      ...(ssl.length > 0 ? ['SSL {', ...ssl.map((l) => `  ${l}`), '}'] : []),
      `virtual_server 198.18.0.100 443 {`, `  real_server ${rs.ipv4()} 443 {`, '    SSL_GET {',
      '      enable_sni', '      sni_name rs.lab.test', '      tls_verify', '      url {', '        path /', '      }',
      '    }', '  }', '}',
    ].join('\n'), 'ssl.conf');
    return checkerPlan(config).virtualServers[0]!.realServers[0]!.checks[0]!.spec;
  };
  const block = [`certificate ${pem.clientCert}`, `key ${pem.clientKey}`, `password ${PASSWORD}`, `ca ${pem.ca}`];
  const specs = [
    planned(block),
    planned([`ca ${pem.ca}`]),
    planned([`certificate ${pem.clientCert}`, `key ${pem.clientKey}`, 'password wrong', `ca ${pem.ca}`]),
  ].map((spec) => ({ ...spec, timeoutMs: 3_000 }));
  assert.deepEqual([specs[0]!.kind, 'clientCertFile' in specs[0]!, 'caFile' in specs[1]!, 'clientCertFile' in specs[1]!], ['SSL_GET', true, true, false]);

  const { stdout } = await lb.exec([process.execPath, RUN_CHECKS, JSON.stringify(specs)]);
  const { results } = JSON.parse(stdout) as { results: CheckResult[] };
  assert.deepEqual(results.map((r) => r.ok), [true, false, false], JSON.stringify(results));
  assert.match(results[0]!.reason, /status 200/);
  assert.match(results[1]!.reason, /status 400/, 'nginx refuses a client without a certificate');
  assert.match(results[2]!.reason, /bad decrypt|passphrase|key/i, 'a wrong password cannot read the key');
  const clients = rs.readFile(`${dir}/clients.log`);
  assert.match(clients, /CN=keepalive-checker 200/, clients);
});
