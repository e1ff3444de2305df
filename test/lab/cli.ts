#!/usr/bin/env node
// `npm run lab -- <command>`: look at and clean up labs on this machine.
//   list           labs that exist, with their owners
//   down           remove labs whose owning process is gone
//   down --all     remove every lab, and anything else carrying a lab's marks
//   verify-clean   exit 1 if anything of any lab is left (the test suite's last step)
import { readFileSync } from 'node:fs';
import { LAB_ROOT, labIds, leftovers, sweep } from './lab.ts';
import { processGone } from './processes.ts';

function list(): number {
  const ids = labIds();
  if (ids.length === 0) console.log('no labs');
  for (const id of ids) {
    try {
      const state = JSON.parse(readFileSync(`${LAB_ROOT}/${id}/state.json`, 'utf8')) as { ownerPid: number; createdAt: string; netns: string[] };
      const owner = processGone(state.ownerPid) ? 'gone' : 'running';
      console.log(`${id}  created ${state.createdAt}  owner ${state.ownerPid} (${owner})  ${state.netns.length} namespaces`);
    } catch {
      console.log(`${id}  (no readable state)`);
    }
  }
  return 0;
}

function verifyClean(): number {
  const left = leftovers();
  const problems = [
    ...left.labs.map((l) => `lab state directory ${LAB_ROOT}/${l}`),
    ...left.netns.map((n) => `network namespace ${n}`),
    ...left.links.map((l) => `root link ${l}`),
    ...left.processes.map((p) => `process ${p}`),
  ];
  if (problems.length === 0) {
    console.log('lab: nothing left behind');
    return 0;
  }
  console.error(`lab: left behind:\n  ${problems.join('\n  ')}\n(remove with: npm run lab -- down --all)`);
  return 1;
}

function main([command, ...rest]: string[]): number {
  switch (command) {
    case 'list':
      return list();
    case 'down': {
      const removed = sweep(rest.includes('--all'));
      console.log(removed.length ? `removed ${removed.join(', ')}` : 'nothing to remove');
      return 0;
    }
    case 'verify-clean':
      return verifyClean();
    default:
      console.error('usage: lab list | down [--all] | verify-clean');
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
