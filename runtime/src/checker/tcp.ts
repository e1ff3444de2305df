// TCP_CHECK: the real server is up when a TCP connection to it opens within the timeout.
import { connect } from 'node:net';
import { failure, localEndpoint, success, type CheckResult, type TcpCheckSpec } from './check.ts';

export function tcpCheck(spec: TcpCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port, ...localEndpoint(spec) });
    let settled = false;
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A reset, not a FIN: a closing checker would keep every check's socket in TIME_WAIT for a
      // minute (600,000 of them at 10,000 checks a second), and connect() slows down searching the
      // ports they hold. HAProxy closes its health checks the same way.
      if (socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(failure(startedAt, `no connection within ${spec.timeoutMs} ms`)), spec.timeoutMs);
    socket.once('connect', () => finish(success(startedAt, 'connected')));
    socket.once('error', (error) => finish(failure(startedAt, error.message)));
  });
}
