#!/usr/bin/env node
// Node's own floor for bench/memory.ts: three idle Node processes in keepalive's process model, a
// parent that forks two children of itself over an IPC channel (as the watchdog forks its VRRP and
// checker children), each doing nothing but wait. Plain JavaScript, an ES module as the bundled
// runtime is, so the floor pays what Node pays to run one and nothing else.
//   node idle-node.mjs SECONDS    every process exits after SECONDS, or when its parent is gone
import { fork } from 'node:child_process';

const seconds = Number(process.argv[2]);
if (!(seconds > 0)) throw new Error('usage: idle-node.mjs SECONDS');
if (process.send) {
  process.on('disconnect', () => process.exit(0));
} else {
  for (let i = 0; i < 2; i++) fork(process.argv[1], [String(seconds)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
setTimeout(() => process.exit(0), seconds * 1000);
