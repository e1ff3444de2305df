// The SDKs in sdk/ are what Pulumi's generators make of the schema (scripts/sdk.ts, tools/sdkgen), and
// each names the plugin at the one version (package.json's) the engine must run for it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { drift } from '../scripts/sdk.ts';
import { LANGUAGES, packageSchema, PACKAGE, resources, types, VERSION, type PropertySpec } from '../provider/core/schema.ts';
import packageJson from '../package.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8')) as Record<string, unknown>;
const PLUGIN = { resource: true, name: PACKAGE, version: VERSION };

describe('generated SDKs', () => {
  test('sdk/ and provider/schema.json are what the generators make of provider/core/schema.ts (node scripts/sdk.ts check)', () => {
    const result = spawnSync(process.execPath, [`${ROOT}scripts/sdk.ts`, 'check'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stderr}\nregenerate them: node scripts/sdk.ts generate`);
  });

  test('a changed description is drift in every SDK', () => {
    // The check's own failure path, on a schema that differs from the committed one by one description.
    const schema = structuredClone(packageSchema()) as { resources: Record<string, { description: string }> };
    schema.resources['keepalive:index:Host']!.description += ' Changed.';
    const lines = drift(schema);
    for (const line of ['provider/schema.json: differs from provider/core/schema.ts', 'sdk/nodejs/host.ts: differs', 'sdk/python/pulumi_keepalive/host.py: differs', 'sdk/go/keepalive/host.go: differs']) {
      assert.ok(lines.includes(line), `${line} in:\n${lines.join('\n')}`);
    }
  });

  test('each SDK names the plugin at package.json\'s version, under the names users expect', () => {
    assert.equal(VERSION, packageJson.version);
    const node = json('sdk/nodejs/package.json');
    assert.equal(node.name, LANGUAGES.nodejs.packageName);
    assert.equal(node.version, VERSION);
    assert.deepEqual(node.pulumi, PLUGIN);
    assert.deepEqual(json('sdk/python/pulumi_keepalive/pulumi-plugin.json'), PLUGIN);
    assert.match(readFileSync(`${ROOT}sdk/python/pyproject.toml`, 'utf8'), new RegExp(`^\\s*name = "${LANGUAGES.python.packageName}"\\n(.*\\n)*\\s*version = "${VERSION.replaceAll('.', '\\.')}"$`, 'm'));
    assert.deepEqual(json('sdk/go/keepalive/pulumi-plugin.json'), PLUGIN);
    assert.match(readFileSync(`${ROOT}sdk/go/go.mod`, 'utf8'), /^module github\.com\/keepalive\/keepalive\/sdk\/go$/m);
    assert.match(readFileSync(`${ROOT}sdk/go/keepalive/host.go`, 'utf8'), /^package keepalive$/m);
    assert.equal(LANGUAGES.go.importBasePath, 'github.com/keepalive/keepalive/sdk/go/keepalive');
  });

  test('the schema describes every resource, property, type, type property and enum value (the SDKs\' docs)', () => {
    const missing: string[] = [];
    const need = (where: string, spec: { readonly description?: string } | undefined): void => {
      if (!spec?.description?.trim()) missing.push(where);
    };
    const properties = (where: string, props: Readonly<Record<string, PropertySpec>> | undefined): void => {
      for (const [key, spec] of Object.entries(props ?? {})) need(`${where}.${key}`, spec);
    };
    for (const [token, resource] of Object.entries(resources)) {
      need(token, resource);
      properties(`${token} input`, resource.inputProperties);
      properties(`${token} output`, resource.properties);
    }
    for (const [token, type] of Object.entries(types)) {
      need(token, type);
      properties(token, type.properties);
      for (const value of type.enum ?? []) need(`${token} = ${JSON.stringify(value.value)}`, value as { description?: string });
    }
    assert.deepEqual(missing, []);
  });
});
