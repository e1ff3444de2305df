// SMTP_CHECK: connect, read a 2xx greeting, say HELO and expect 250, then QUIT. The whole dialogue is
// bounded by the spec's timeout, and a reply longer than MAX_REPLY_BYTES fails the check, so a server
// that talks forever costs neither time nor memory.
import { connect } from 'node:net';
import { failure, localEndpoint, success, type CheckResult, type SmtpCheckSpec } from './check.ts';

const MAX_REPLY_BYTES = 64 * 1024;

/**
 * The complete replies at the start of `buffer` (RFC 5321 4.2: "NNN-text" lines continue a reply,
 * "NNN text" or "NNN" ends it), and what is left after them.
 */
export function takeSmtpReplies(buffer: string): { codes: number[]; rest: string } {
  const codes: number[] = [];
  let rest = buffer;
  for (;;) {
    const end = rest.indexOf('\n');
    if (end < 0) return { codes, rest };
    const line = rest.slice(0, end).replace(/\r$/, '');
    rest = rest.slice(end + 1);
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (!m) { codes.push(0); continue; } // not a reply line: the caller treats 0 as a protocol error
    if (m[2] !== '-') codes.push(Number(m[1]));
  }
}

export function smtpCheck(spec: SmtpCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port, ...localEndpoint(spec) });
    socket.setEncoding('latin1');
    let settled = false;
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(failure(startedAt, `no complete SMTP dialogue within ${spec.timeoutMs} ms`)), spec.timeoutMs);
    let stage: 'greeting' | 'helo' | 'quit' = 'greeting';
    let buffer = '';
    socket.on('data', (text: string) => {
      buffer += text;
      const { codes, rest } = takeSmtpReplies(buffer);
      buffer = rest;
      if (buffer.length > MAX_REPLY_BYTES) return finish(failure(startedAt, `SMTP reply line longer than ${MAX_REPLY_BYTES} bytes`));
      for (const code of codes) {
        if (stage === 'greeting') {
          if (code < 200 || code > 299) return finish(failure(startedAt, `SMTP greeting ${code || 'malformed'}, expected 2xx`));
          stage = 'helo';
          socket.write(`HELO ${spec.helo}\r\n`);
        } else if (stage === 'helo') {
          if (code !== 250) return finish(failure(startedAt, `HELO answered ${code || 'malformed'}, expected 250`));
          stage = 'quit';
          socket.write('QUIT\r\n');
        } else {
          // The server was healthy at HELO; how it says goodbye does not change that.
          return finish(success(startedAt, 'greeting and HELO accepted'));
        }
      }
    });
    socket.once('error', (error) => finish(failure(startedAt, error.message)));
    socket.once('close', () => {
      if (stage === 'quit') finish(success(startedAt, 'greeting and HELO accepted'));
      else finish(failure(startedAt, `connection closed while waiting for the ${stage === 'greeting' ? 'greeting' : 'HELO reply'}`));
    });
  });
}
