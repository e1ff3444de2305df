// SMTP alerts on state transitions (notification_email, smtp_server, smtp_alert), sent with
// nodemailer. Sending never blocks the state machine: alerts queue, and a failure is logged, not fatal.
// nodemailer is imported at the first alert: a process that sends none never reads it (in the bundled
// runtime, 560 kB in a file of its own, scripts/build-runtime.ts).
import { hostname } from 'node:os';
import { log } from '../log.ts';

export interface SmtpSettings {
  server: string;
  port: number;
  /** HELO/EHLO name; defaults to the host name. */
  heloName?: string;
  connectTimeoutMs: number;
  from: string;
  to: readonly string[];
}

export interface Alert {
  subject: string;
  body: string;
}

export class Mailer {
  private readonly settings: SmtpSettings;
  private queue: Promise<void> = Promise.resolve();

  constructor(settings: SmtpSettings) {
    this.settings = settings;
  }

  /** Queues an alert; resolves when it was sent or given up on. */
  send(alert: Alert): Promise<void> {
    const s = this.settings;
    this.queue = this.queue.then(async () => {
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({
        host: s.server,
        port: s.port,
        name: s.heloName ?? hostname(),
        secure: false,
        // Plain SMTP to a relay, as keepalived does; opportunistic STARTTLS is left to the relay.
        ignoreTLS: true,
        connectionTimeout: s.connectTimeoutMs,
        greetingTimeout: s.connectTimeoutMs,
        socketTimeout: s.connectTimeoutMs * 2,
      });
      try {
        await transport.sendMail({ from: s.from, to: [...s.to], subject: alert.subject, text: alert.body });
      } catch (error) {
        log('warn', `SMTP alert "${alert.subject}" to ${s.server}:${s.port} failed: ${(error as Error).message}`);
      } finally {
        transport.close();
      }
    });
    return this.queue;
  }
}
