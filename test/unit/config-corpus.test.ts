// The compatibility corpus (test/fixtures/config/corpus/): configurations shaped like those that
// installers and operators generate (OpenShift's on-prem template, kolla-ansible, ...), written for
// this project from their templates' shapes. Each must pass `keepalive check`; and, so that the corpus
// stays true to keepalived, Debian's keepalived must accept each one too (keepalived -t).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadConfig } from '../../runtime/src/config/load.ts';

const CORPUS = new URL('../fixtures/config/corpus/', import.meta.url).pathname;
const noKeepalived = spawnSync('keepalived', ['-v']).error ? 'keepalived is not installed' : false;

for (const name of readdirSync(CORPUS).filter((n) => n.endsWith('.conf')).sort()) {
  test(`corpus: ${name} passes keepalive check`, () => {
    assert.doesNotThrow(() => loadConfig(`${CORPUS}${name}`));
  });

  test(`corpus: keepalived accepts ${name} too`, { skip: noKeepalived }, () => {
    const run = spawnSync('keepalived', ['-t', '-f', `${CORPUS}${name}`], { encoding: 'utf8', timeout: 30_000 });
    // keepalived(8): 3 = the configuration cannot be run, 4 = errors keepalived corrects; 5 here is an
    // interface or a script this machine lacks, which the corpus names on purpose.
    assert.ok(run.status !== null && run.status !== 3 && run.status !== 4, `keepalived -t exit ${run.status}: ${run.stderr}`);
  });
}
