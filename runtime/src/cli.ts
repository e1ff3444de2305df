#!/usr/bin/env node
// The keepalive command line. The VRRP runtime fills in its commands (run, check, status, reload).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const USAGE = `keepalive ${pkg.version}: keepalived, rebuilt in TypeScript

Usage: keepalive <command> [options]

Options:
  -h, --help       show this help
  -v, --version    print the version
`;

function main(argv: string[]): number {
  const [command] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  process.stderr.write(`keepalive: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
