#!/usr/bin/env node
// keepalive as packages a user installs, all in dist/packages/, at package.json's version (the one
// place it is kept; the plugin, the schema and every SDK take it from there):
//
//   pulumi-resource-keepalive-v<version>-linux-amd64.tar.gz   the plugin: one executable at the root,
//       a Node 24 single executable application carrying the runtime and Node for hosts
//       (scripts/build-plugin.ts), for `pulumi plugin install resource keepalive <version> --file ...`
//   keepalive-pulumi-<version>.tgz, pulumi_keepalive-<version>-py3-none-any.whl, go/
//       the SDKs, from `node scripts/sdk.ts build`
//   terraform-provider-keepalive_<version>_linux_amd64.zip
//       the OpenTofu/Terraform provider, one executable (scripts/build-plugin.ts --kind terraform), as the
//       registries package providers (a provider mirror's packed layout takes it as it is)
//   keepalive-cdktf-<version>.tgz, keepalive-cdktn-<version>.tgz
//       the CDK constructs for CDK for Terraform and CDK Terrain, from `node scripts/cdk.ts build`
//
//   node scripts/package.ts [--plugin-only]     prints the artefacts' paths
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildPlugin, PLUGIN_NAME, PLUGINS } from './build-plugin.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
export const VERSION = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;
export const PACKAGES = `${root}dist/packages`;
export const TARBALL = `${PACKAGES}/${PLUGIN_NAME}-v${VERSION}-linux-amd64.tar.gz`;

/**
 * The release tarball of an executable: it alone, at the root, owned by root, its time the build's
 * (what `pulumi plugin install --file` unpacks into the plugin's directory). No PulumiPlugin.yaml: it
 * would make the CLI treat the plugin as one run through a language host.
 */
export function tarball(executable: string, out = TARBALL): string {
  mkdirSync(PACKAGES, { recursive: true });
  const temporary = `${out}.${process.pid}`;
  const dir = executable.slice(0, executable.lastIndexOf('/'));
  const name = executable.slice(executable.lastIndexOf('/') + 1);
  if (name !== PLUGIN_NAME) throw new Error(`the plugin executable must be named ${PLUGIN_NAME}, not ${name}`);
  const tar = spawnSync('sh', ['-c', 'tar -C "$1" --owner=0 --group=0 --numeric-owner -cf - "$2" | gzip -n -6 > "$3"', 'tar', dir, name, temporary], { encoding: 'utf8' });
  if (tar.status !== 0) {
    rmSync(temporary, { force: true });
    throw new Error(`making ${out} failed: ${tar.stderr.trim()}`);
  }
  renameSync(temporary, out);
  return out;
}

export const TERRAFORM_ZIP = `${PACKAGES}/terraform-provider-keepalive_${VERSION}_linux_amd64.zip`;

/**
 * The OpenTofu/Terraform provider as the registries package it: a zip holding the executable
 * terraform-provider-keepalive_v<version> alone, deflated, its mode kept (what a provider mirror's
 * packed layout and `tofu init` take). Written with Python's zipfile: Debian has no zip command by
 * default, and Node has no zip writer.
 */
export function terraformZip(executable: string, out = TERRAFORM_ZIP): string {
  const name = executable.slice(executable.lastIndexOf('/') + 1);
  if (name !== PLUGINS.terraform.name) throw new Error(`the provider executable must be named ${PLUGINS.terraform.name}, not ${name}`);
  const temporary = `${out}.${process.pid}`;
  const script = 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:\n    z.write(sys.argv[1], sys.argv[3])\n';
  const zip = spawnSync('python3', ['-c', script, executable, temporary, name], { encoding: 'utf8' });
  if (zip.status !== 0) {
    rmSync(temporary, { force: true });
    throw new Error(`making ${out} failed: ${zip.stderr.trim() || zip.error?.message}`);
  }
  renameSync(temporary, out);
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { 'plugin-only': { type: 'boolean', default: false } } });
  const plugin = await buildPlugin('pulumi');
  console.log(plugin);
  console.log(tarball(plugin));
  if (!values['plugin-only']) {
    const terraform = await buildPlugin('terraform');
    console.log(terraform);
    console.log(terraformZip(terraform));
    for (const script of ['scripts/sdk.ts', 'scripts/cdk.ts']) {
      const built = spawnSync(process.execPath, [`${root}${script}`, 'build'], { stdio: 'inherit' });
      if (built.status !== 0) process.exit(built.status ?? 1);
    }
  }
}
