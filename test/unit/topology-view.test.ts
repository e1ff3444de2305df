// The topology's renderers (provider/topology/view.ts, topology-svg.ts): the text exactly, the SVG
// read back by a strict XML reader (and by Python's, where there is one) and searched for every host,
// group, virtual and real server, each edge, and each health colour.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { escapeXml, renderSvg } from '../../provider/topology/svg.ts';
import { healthWords, liveMasterWords, renderText, type Topology, type TopologyGroup } from '../../provider/topology/view.ts';
import { descendants, parseXml, textOf, type XmlElement } from '../fixtures/xml.ts';

const up = (host: string, weight = 1) => ({ host, up: true, weight, inTable: true });
const down = (host: string) => ({ host, up: false, weight: 0, inTable: false });

const TOPOLOGY: Topology = {
  stack: 'lab',
  source: 'live',
  readAt: '2030-01-02T03:04:05.000Z',
  hosts: [
    { name: 'lb1', user: 'root', address: '198.18.0.1', port: 22, runtimeVersion: '0.1.0', running: true },
    { name: 'lb2', user: 'root', address: '198.18.0.2', port: 2222, runtimeVersion: '0.1.0', running: false },
    { name: 'lb3', user: 'admin', address: '2001:db8::3', port: 22, unreachable: 'connect ECONNREFUSED 2001:db8::3:22' },
  ],
  groups: [
    {
      name: 'vip', vrid: 51, interface: 'eth0', virtualIps: ['198.18.0.100/24'], preempt: true,
      members: [{ host: 'lb1', priority: 200 }, { host: 'lb2', priority: 150 }, { host: 'lb3', priority: 100 }],
      expectedMaster: 'lb1', liveMasters: ['lb1'],
    },
    {
      name: 'db', vrid: 52, interface: 'eth1', virtualIps: ['198.18.0.101/24', '198.18.0.102/24'], preempt: false,
      members: [{ host: 'lb2', priority: 150 }, { host: 'lb1', priority: 100 }],
      expectedMaster: 'lb2', liveMasters: ['lb1'],
    },
    {
      name: 'edge', vrid: 53, interface: 'eth0', virtualIps: [], preempt: true,
      members: [{ host: 'lb1', priority: 100 }], expectedMaster: 'lb1', liveMasters: ['lb1', 'lb2'],
    },
  ],
  virtualServers: [
    {
      name: 'web', protocol: 'TCP', address: '198.18.0.100', port: 80, scheduler: 'wrr', method: 'NAT', directors: ['lb1', 'lb2'],
      health: [
        { host: 'lb1', dataplane: 'nftables', quorumUp: true, realServersUp: 2, realServers: 4 },
        { host: 'lb2', dataplane: 'nftables', quorumUp: true, realServersUp: 1, realServers: 4 },
      ],
      realServers: [
        { name: 'rs1', address: '198.18.1.11', port: 80, weight: 1, health: [up('lb1'), up('lb2')] },
        { name: 'rs2', address: '198.18.1.12', port: 8080, weight: 3, health: [down('lb1'), down('lb2')] },
        { name: 'rs3', address: '198.18.1.13', port: 80, weight: 1, health: [up('lb1'), down('lb2')] },
        { name: 'rs4', address: '2001:db8:1::14', port: 80, weight: 0, health: [] },
      ],
    },
    {
      name: 'dns', protocol: 'UDP', address: '198.18.0.100', port: 53, scheduler: 'rr', method: 'DR', directors: ['lb1'],
      health: [], realServers: [],
    },
    {
      protocol: 'TCP', address: '198.18.0.200', port: 443, scheduler: 'scheduler unknown', method: 'NAT', directors: ['lb2'],
      health: [], realServers: [{ name: 'orphan', address: '198.18.1.20', port: 443, weight: 1, health: [up('lb2')] }],
    },
  ],
};

describe('text', () => {
  test('a compact tree: hosts, groups with master and backups and the live master, services with real servers and health', () => {
    assert.equal(renderText(TOPOLOGY), `keepalive topology of stack lab: live, read from the hosts at 2030-01-02T03:04:05.000Z

hosts
  lb1  root@198.18.0.1:22  runtime 0.1.0, running
  lb2  root@198.18.0.2:2222  runtime 0.1.0, not running
  lb3  admin@[2001:db8::3]:22  unreachable: connect ECONNREFUSED 2001:db8::3:22

vrrp groups
  vip   vrid 51 on eth0  VIP 198.18.0.100/24  master lb1 (200)  backups lb2 (150), lb3 (100)
        live master lb1, as expected
  db    vrid 52 on eth1  VIPs 198.18.0.101/24, 198.18.0.102/24  master lb2 (150)  backups lb1 (100)  preempt off
        live master lb1, not the expected lb2
  edge  vrid 53 on eth0  no VIP  master lb1 (100)  no backups
        live masters lb1, lb2: split brain

virtual servers
  web  198.18.0.100:80  wrr, NAT  directors lb1, lb2  quorum up
    rs1  198.18.1.11:80  weight 1  up
    rs2  198.18.1.12:8080  weight 3  DOWN
    rs3  198.18.1.13:80  weight 1  up on lb1, DOWN on lb2
    rs4  [2001:db8:1::14]:80  weight 0  unknown
  dns  198.18.0.100:53/udp  rr, DR  directors lb1  quorum unknown
    no real servers
  (not in the state)  198.18.0.200:443  scheduler unknown, NAT  directors lb2  quorum unknown
    orphan  198.18.1.20:443  weight 1  up
`);
  });

  test('declared, and empty', () => {
    assert.equal(renderText({ source: 'declared', hosts: [], groups: [], virtualServers: [] }), `keepalive topology: declared; masters and health as last recorded in the state

hosts
  none

vrrp groups
  none

virtual servers
  none
`);
  });

  test('a declared host shows its runtime version only; a group without members has no master', () => {
    const text = renderText({
      stack: 'prod', source: 'declared',
      hosts: [{ name: 'h1', user: 'root', address: 'lb.example', port: 22, runtimeVersion: '' }],
      groups: [{ name: 'g', vrid: 7, interface: 'bond0', virtualIps: ['2001:db8::7/64'], preempt: true, members: [] }],
      virtualServers: [],
    });
    assert.match(text, /^ {2}h1 {2}root@lb\.example:22 {2}no runtime$/m);
    assert.match(text, /^ {2}g {2}vrid 7 on bond0 {2}VIP 2001:db8::7\/64 {2}no members$/m);
    assert.match(text, /^ {5}live master unknown$/m);
  });

  test('the live master against the expected one', () => {
    const g = (liveMasters?: string[]): TopologyGroup => ({
      name: 'g', vrid: 1, interface: 'eth0', virtualIps: [], preempt: true, members: [{ host: 'a', priority: 100 }], expectedMaster: 'a',
      ...(liveMasters && { liveMasters }),
    });
    assert.deepEqual(liveMasterWords(g()), { state: 'unknown', words: 'live master unknown' });
    assert.deepEqual(liveMasterWords(g([])), { state: 'none', words: 'no live master: no member is master' });
    assert.deepEqual(liveMasterWords(g(['a'])), { state: 'as-expected', words: 'live master a, as expected' });
    assert.deepEqual(liveMasterWords(g(['b'])), { state: 'other', words: 'live master b, not the expected a' });
    assert.deepEqual(liveMasterWords(g(['a', 'b'])), { state: 'split', words: 'live masters a, b: split brain' });
  });

  test('health over the directors: one word when they agree, each one otherwise', () => {
    assert.deepEqual(healthWords([], ['a']), { state: 'unknown', words: 'unknown' });
    assert.deepEqual(healthWords([{ host: 'a', up: true }, { host: 'b', up: true }], ['a', 'b']), { state: 'up', words: 'up' });
    assert.deepEqual(healthWords([{ host: 'a', up: false }], ['a']), { state: 'down', words: 'DOWN' });
    assert.deepEqual(healthWords([{ host: 'a', up: true }, { host: 'b', up: false }], ['a', 'b']), { state: 'mixed', words: 'up on a, DOWN on b' });
    assert.deepEqual(healthWords([{ host: 'a', up: true }], ['a', 'b']), { state: 'up', words: 'up on a, unknown on b' });
    assert.deepEqual(healthWords([{ host: 'b', up: false }], ['a', 'b']), { state: 'down', words: 'DOWN on b, unknown on a' });
    // A host reporting that is not (or no longer) a director still counts.
    assert.deepEqual(healthWords([{ host: 'a', up: true }, { host: 'c', up: false }], ['a']), { state: 'mixed', words: 'up on a, DOWN on c' });
  });
});

const byClass = (root: XmlElement, kind: string): XmlElement[] => descendants(root).filter((e) => e.attributes['class'] === kind);
const named = (root: XmlElement, kind: string, name: string): XmlElement => {
  const found = byClass(root, kind).filter((e) => e.attributes['data-name'] === name);
  assert.equal(found.length, 1, `one ${kind} ${name}`);
  return found[0]!;
};
const lines = (box: XmlElement): string[] => box.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === 'text').map(textOf);

describe('SVG', () => {
  const svg = renderSvg(TOPOLOGY);
  const root = parseXml(svg);

  test('a well-formed SVG document with a title', () => {
    assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg '));
    assert.equal(root.name, 'svg');
    assert.equal(root.attributes['xmlns'], 'http://www.w3.org/2000/svg');
    assert.match(root.attributes['viewBox']!, /^0 0 \d+(\.\d)? \d+(\.\d)?$/);
    assert.equal(textOf(descendants(root).find((e) => e.name === 'title')!), 'keepalive topology of stack lab: live, read from the hosts at 2030-01-02T03:04:05.000Z');
  });

  test('each host, with its address, runtime and the groups it is live master of', () => {
    assert.deepEqual(lines(named(root, 'host', 'lb1')), ['lb1', 'root@198.18.0.1:22', 'runtime 0.1.0, running', 'live master of vip', 'live master of db', 'live master of edge']);
    assert.deepEqual(lines(named(root, 'host', 'lb2')), ['lb2', 'root@198.18.0.2:2222', 'runtime 0.1.0, not running', 'live master of edge']);
    const lb3 = named(root, 'host', 'lb3');
    assert.deepEqual(lines(lb3), ['lb3', 'admin@[2001:db8::3]:22', 'unreachable: connect ECONNREFUSED 2001:db8::3:22']);
    assert.equal(lb3.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'rect')!.attributes['stroke'], '#cf222e');
  });

  test('each group with its VIPs and live master, linked to each member: the expected master thick and green, backups dashed', () => {
    assert.deepEqual(lines(named(root, 'group', 'vip')), ['vip', 'vrid 51 on eth0', 'VIP 198.18.0.100/24', 'live master lb1, as expected']);
    assert.deepEqual(lines(named(root, 'group', 'db')), ['db', 'vrid 52 on eth1', 'VIP 198.18.0.101/24', 'VIP 198.18.0.102/24', 'preempt off', 'live master lb1, not the expected lb2']);
    assert.deepEqual(lines(named(root, 'group', 'edge')), ['edge', 'vrid 53 on eth0', 'no VIP', 'live masters lb1, lb2: split brain']);
    const members = byClass(root, 'edge member').map((e) => ({
      group: e.attributes['data-group'], host: e.attributes['data-host'], role: e.attributes['data-role'],
      label: textOf(e), line: e.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'line')!.attributes,
    }));
    assert.deepEqual(members.map(({ group, host, role, label }) => `${group} ${host} ${role} ${label}`), [
      'vip lb1 master master 200', 'vip lb2 backup backup 150', 'vip lb3 backup backup 100',
      'db lb2 master master 150', 'db lb1 backup backup 100',
      'edge lb1 master master 100',
    ]);
    for (const m of members) {
      if (m.role === 'master') assert.deepEqual([m.line['stroke'], m.line['stroke-width'], m.line['stroke-dasharray']], ['#1a7f37', '3', undefined]);
      else assert.deepEqual([m.line['stroke'], m.line['stroke-width'], m.line['stroke-dasharray']], ['#57606a', '1.5', '5 3']);
    }
  });

  test('each virtual server linked to its directors and its real servers, coloured by health', () => {
    assert.deepEqual(lines(named(root, 'virtual-server', 'web')), ['web', '198.18.0.100:80', 'wrr, NAT', 'quorum up']);
    assert.deepEqual(lines(named(root, 'virtual-server', 'dns')), ['dns', '198.18.0.100:53/udp', 'rr, DR', 'quorum unknown']);
    assert.deepEqual(lines(named(root, 'virtual-server', '(not in the state)')), ['(not in the state)', '198.18.0.200:443', 'scheduler unknown, NAT', 'quorum unknown']);
    assert.deepEqual(byClass(root, 'edge director').map((e) => `${e.attributes['data-virtual-server']} ${e.attributes['data-host']}`), [
      'web lb1', 'web lb2', 'dns lb1', '(not in the state) lb2',
    ]);
    assert.deepEqual(byClass(root, 'edge real-server').map((e) => `${e.attributes['data-virtual-server']} ${e.attributes['data-real-server']}`), [
      'web rs1', 'web rs2', 'web rs3', 'web rs4', '(not in the state) orphan',
    ]);
    const fills = Object.fromEntries(byClass(root, 'real-server').map((e) => [
      e.attributes['data-name'], [e.attributes['data-health'], e.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'rect')!.attributes['fill'], lines(e).at(-1)],
    ]));
    assert.deepEqual(fills, {
      rs1: ['up', '#dafbe1', 'up'],
      rs2: ['down', '#ffebe9', 'DOWN'],
      rs3: ['mixed', '#fff8c5', 'up on lb1, DOWN on lb2'],
      rs4: ['unknown', '#eaeef2', 'unknown'],
      orphan: ['up', '#dafbe1', 'up'],
    });
    assert.deepEqual(lines(named(root, 'real-server', 'rs2')).slice(0, 2), ['rs2', '198.18.1.12:8080, weight 3']);
  });

  test('boxes do not overlap and stay inside the picture', () => {
    const width = Number(root.attributes['width']);
    const height = Number(root.attributes['height']);
    const boxes = ['group', 'host', 'virtual-server', 'real-server'].flatMap((kind) => byClass(root, kind)).map((g) => {
      const r = g.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'rect')!.attributes;
      return { name: g.attributes['data-name'], x: Number(r['x']), y: Number(r['y']), w: Number(r['width']), h: Number(r['height']), longest: Math.max(...lines(g).map((l) => l.length)) };
    });
    for (const b of boxes) {
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= width && b.y + b.h <= height, `${b.name} inside`);
      // Wide enough for its longest line in a 12 px monospace font (0.6 em a character).
      assert.ok(b.w >= b.longest * 7.2, `${b.name} fits its text`);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `${a.name} and ${b.name} overlap`);
      }
    }
  });

  test('the same topology always gives the same picture', () => {
    assert.equal(renderSvg(TOPOLOGY), svg);
  });

  test('names with markup, quotes and characters XML cannot carry are escaped, and read back as written', () => {
    const odd = `a<b>&"c'\u0001d\uD800e\u00e9\u{1F600}`;
    const readBack = `a<b>&"c'\uFFFDd\uFFFDe\u00e9\u{1F600}`;
    assert.equal(escapeXml(odd), 'a&lt;b&gt;&amp;&quot;c&apos;\uFFFDd\uFFFDe\u00e9\u{1F600}');
    const topology: Topology = {
      stack: odd, source: 'declared',
      hosts: [{ name: odd, user: 'root', address: '198.18.0.1', port: 22, runtimeVersion: '0.1.0' }],
      groups: [{ name: odd, vrid: 1, interface: 'eth0', virtualIps: [], preempt: true, members: [{ host: odd, priority: 100 }], expectedMaster: odd, liveMasters: [odd] }],
      virtualServers: [{ name: odd, protocol: 'TCP', address: '198.18.0.9', port: 80, scheduler: 'rr', method: 'NAT', directors: [odd], health: [], realServers: [{ name: odd, address: '198.18.1.1', port: 80, weight: 1, health: [] }] }],
    };
    const parsed = parseXml(renderSvg(topology));
    for (const kind of ['host', 'group', 'virtual-server', 'real-server']) assert.equal(lines(named(parsed, kind, readBack))[0], readBack);
    assert.equal(byClass(parsed, 'edge member')[0]!.attributes['data-host'], readBack);
    assert.match(renderText(topology), new RegExp(`stack ${odd.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`, 'u'));
  });

  test("Python's XML parser reads it too, where there is a python3", (t) => {
    const python = spawnSync('python3', ['-c', 'import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.buffer.read()); print(len(list(r.iter())))'], { input: svg, encoding: 'utf8' });
    if (python.error) return t.skip('no python3 here');
    assert.equal(python.status, 0, python.stderr);
    assert.equal(Number(python.stdout.trim()), descendants(root).length);
  });
});
