// A Host's metricsListen, through the provider plugin driven as the engine drives it, on a lab host
// with its own sshd: a bad address is a Check failure on the property, and nothing is deployed; set,
// the host's runtime serves GET /metrics there (and runs with no other resource on the host); changed,
// the endpoint moves by a reload (the old port closed, the same runtime process); left out, the
// endpoint closes and the runtime, with nothing else to run, stops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lab } from './lab/lab.ts';
import type { Host as LabHost } from './lab/host.ts';
import { PluginHarness } from './fixtures/provider/engine.ts';
import { hostInputs, leftoversOn, runtimesIn, stopRuntimes } from './fixtures/provider/lab.ts';

/** GET http://ADDRESS/metrics from inside the lab host: the body, or the error's code. */
async function scrape(host: LabHost, listen: string): Promise<string> {
  const { stdout } = await host.exec([process.execPath, '-e', `
    fetch('http://${listen}/metrics', { signal: AbortSignal.timeout(5000) })
      .then(async (r) => console.log(r.status + '\\n' + await r.text()))
      .catch((e) => console.log('error ' + (e.cause?.code ?? e.message)));
  `]);
  return stdout;
}

test('Host metricsListen: refused when malformed; serves /metrics on the host, moves by a reload, closes when left out', { timeout: 240_000 }, async () => {
  await using lab = await Lab.create({ hosts: ['h1'] });
  await using harness = await PluginHarness.start();
  const d = harness.deployment;
  const h1 = lab.host('h1');
  const address = h1.ssh!.host;
  try {
    const bad = await d.check('Host', 'h1', hostInputs(h1, { metricsListen: `${address}:99999` }));
    assert.deepEqual(bad.failures.map((f) => f.property), ['metricsListen'], JSON.stringify(bad.failures));
    assert.equal(runtimesIn(h1).length, 0, 'nothing was deployed');

    await d.up('Host', 'h1', hostInputs(h1, { metricsListen: `${address}:9650` }));
    assert.equal(d.outputs('Host', 'h1').running, true);
    const first = await scrape(h1, `${address}:9650`);
    assert.match(first, /^200\n/, first);
    assert.match(first, /^keepalived_up 1$/m);
    const runtime = runtimesIn(h1).map((p) => p.pid).sort();

    await d.up('Host', 'h1', hostInputs(h1, { metricsListen: `${address}:9651` }));
    assert.match(await scrape(h1, `${address}:9651`), /^200\n[\s\S]*^keepalived_up 1$/m);
    assert.match(await scrape(h1, `${address}:9650`), /^error ECONNREFUSED/);
    assert.deepEqual(runtimesIn(h1).map((p) => p.pid).sort(), runtime, 'moved by a reload, not a restart');

    await d.up('Host', 'h1', hostInputs(h1));
    assert.match(await scrape(h1, `${address}:9651`), /^error ECONNREFUSED/);
    assert.equal(d.outputs('Host', 'h1').running, false);
    assert.equal(runtimesIn(h1).length, 0, 'with nothing else to run, the runtime stopped');

    await d.destroy('Host', 'h1');
    assert.deepEqual(await leftoversOn(h1), []);
  } finally {
    await stopRuntimes(lab.hosts.values());
  }
});
