// HTTP_GET and SSL_GET: GET the url and judge the status (and the body's MD5 when a digest is set).
// The whole exchange is bounded by the spec's timeout, and a body is read only for a digest and
// never past maxBodyBytes, so a server that trickles bytes or sends a huge reply is bounded in time
// and memory. Without a digest the connection is dropped as soon as the status line is in.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { DEFAULT_MAX_BODY_BYTES, failure, localEndpoint, statusAccepted, success, type CheckResult, type HttpCheckSpec } from './check.ts';

/** The Host header keepalived would send: virtualhost, else the address (bracketed for IPv6) and a non-default port. */
export function hostHeader(spec: HttpCheckSpec): string {
  if (spec.virtualhost !== undefined) return spec.virtualhost;
  const address = isIP(spec.host) === 6 ? `[${spec.host}]` : spec.host;
  const defaultPort = spec.kind === 'SSL_GET' ? 443 : 80;
  return spec.port === defaultPort ? address : `${address}:${spec.port}`;
}

/** The verdict on a whole body: its digest and regex, whichever the spec sets. */
function judgeBody(spec: HttpCheckSpec, status: number, digest: string, body: string | undefined, startedAt: number): CheckResult {
  const expected = spec.digest?.toLowerCase();
  if (expected !== undefined && digest !== expected) return failure(startedAt, `digest ${digest}, expected ${expected}`);
  if (spec.regex !== undefined && body !== undefined) {
    const matched = new RegExp(spec.regex).test(body);
    if (matched === (spec.regexNoMatch ?? false)) return failure(startedAt, `body ${matched ? 'matches' : 'does not match'} ${spec.regex}`);
  }
  return success(startedAt, `status ${status}${expected !== undefined ? ', digest matches' : ''}${spec.regex !== undefined ? `, body ${spec.regexNoMatch ? 'does not match' : 'matches'} the regex` : ''}`);
}

export function httpCheck(spec: HttpCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  const maxBody = spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const options: RequestOptions = {
    host: spec.host,
    port: spec.port,
    path: spec.path,
    method: 'GET',
    agent: false, // one connection per run, closed after it
    headers: { Host: hostHeader(spec), 'User-Agent': 'keepalive-checker', Accept: '*/*', Connection: 'close' },
    ...localEndpoint(spec),
  };
  if (spec.kind === 'SSL_GET') {
    options.rejectUnauthorized = spec.verifyTls;
    // Without an explicit name there is no SNI for an address (RFC 6066 forbids literal addresses).
    options.servername = spec.sni ?? (isIP(spec.host) ? '' : spec.host);
    // Read at each run, as keepalived reads them once per start: a renewed certificate is picked up.
    const files = [['CA file', spec.caFile, 'ca'], ['client certificate', spec.clientCertFile, 'cert'], ['client key', spec.clientKeyFile, 'key']] as const;
    for (const [what, file, option] of files) {
      if (file === undefined) continue;
      try {
        options[option] = readFileSync(file);
      } catch (error) {
        return Promise.resolve(failure(startedAt, `cannot read ${what}: ${(error as Error).message}`));
      }
    }
    if (spec.keyPassword !== undefined) options.passphrase = spec.keyPassword;
  }
  return new Promise((resolve) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(failure(startedAt, `no complete reply within ${spec.timeoutMs} ms`)), spec.timeoutMs);
    const onResponse = (res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      if (!statusAccepted(status, spec.statusCodes)) return finish(failure(startedAt, `status ${status}`));
      if (spec.digest === undefined && spec.regex === undefined) return finish(success(startedAt, `status ${status}`));
      const declared = Number(res.headers['content-length']);
      if (declared > maxBody) return finish(failure(startedAt, `body of ${declared} bytes exceeds the ${maxBody} byte limit`));
      const md5 = createHash('md5');
      // The body is kept only for a regex; a digest needs just the running hash.
      const chunks: Buffer[] | undefined = spec.regex === undefined ? undefined : [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) return finish(failure(startedAt, `body exceeds the ${maxBody} byte limit`));
        md5.update(chunk);
        chunks?.push(chunk);
      });
      res.on('end', () => finish(judgeBody(spec, status, md5.digest('hex'), chunks && Buffer.concat(chunks).toString('latin1'), startedAt)));
      res.on('error', (error) => finish(failure(startedAt, error.message)));
      res.on('close', () => finish(failure(startedAt, 'connection closed before the body ended')));
    };
    try {
      req = (spec.kind === 'SSL_GET' ? httpsRequest : httpRequest)(options, onResponse);
    } catch (error) {
      return finish(failure(startedAt, (error as Error).message));
    }
    req.on('error', (error) => finish(failure(startedAt, error.message)));
    req.end();
  });
}
