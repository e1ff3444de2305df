// The HA topology as an SVG diagram, written by hand (no dependency): four columns, left to right,
// VRRP groups, hosts, virtual servers, real servers. A group is linked to each member host, the
// expected master's link thick and green, the backups' dashed; a virtual server is linked to its
// directors and its real servers, which are coloured by health. Every element carries its kind and
// name (class, data-name), so the picture can be styled or inspected. Every text goes through
// escapeXml, and elements are built by `el`, so any resource name gives well-formed XML.
import { endpoint } from './change.ts';
import {
  expectedMasterOf, hostLabel, hostStateWords, liveMasterWords, quorumWords, realServerHealthWords, title, virtualServerLabel,
  type HealthState, type LiveMasterState, type Topology, type TopologyGroup, type TopologyHost, type TopologyVirtualServer,
} from './view.ts';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Text as XML character data or an attribute value: the five markup characters as entities, and the
 * characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF) as U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Attrs = Readonly<Record<string, string | number | undefined>>;

/** One element, its attribute values escaped; children are elements already built, or text (escaped here). */
function el(name: string, attrs: Attrs, ...children: readonly (string | { readonly xml: string })[]): { readonly xml: string } {
  const attributes = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`).join('');
  const body = children.map((c) => (typeof c === 'string' ? escapeXml(c) : c.xml)).join('');
  return { xml: body === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${body}</${name}>` };
}

/** Coordinates rounded to a tenth: short, and the same on every run. */
const n = (x: number): number => Math.round(x * 10) / 10;

const FONT_SIZE = 12;
/** A monospace advance is 0.6 em: box widths follow from character counts. */
const CHAR_WIDTH = FONT_SIZE * 0.6;
const LINE_HEIGHT = 16;
const PAD_X = 8;
const PAD_Y = 6;
const COLUMN_GAP = 110;
const BOX_GAP = 14;
const MARGIN = 20;

const COLOURS = {
  text: '#1f2328',
  muted: '#57606a',
  border: '#8c959f',
  box: '#ffffff',
  group: '#ddf4ff',
  groupBorder: '#54aeff',
  master: '#1a7f37',
  backup: '#57606a',
  bad: '#cf222e',
} as const;

const HEALTH_FILL: Readonly<Record<HealthState, { fill: string; stroke: string }>> = {
  up: { fill: '#dafbe1', stroke: '#1a7f37' },
  down: { fill: '#ffebe9', stroke: '#cf222e' },
  mixed: { fill: '#fff8c5', stroke: '#9a6700' },
  unknown: { fill: '#eaeef2', stroke: '#8c959f' },
};

const LIVE_COLOUR: Readonly<Record<LiveMasterState, string>> = {
  'as-expected': COLOURS.master, unknown: COLOURS.muted, other: COLOURS.bad, none: COLOURS.bad, split: COLOURS.bad,
};

interface Line {
  readonly text: string;
  readonly bold?: boolean;
  readonly colour?: string;
}

interface Box {
  readonly kind: 'group' | 'host' | 'virtual-server' | 'real-server';
  readonly name: string;
  readonly lines: readonly Line[];
  readonly fill: string;
  readonly stroke: string;
  readonly strokeWidth?: number;
  readonly health?: HealthState;
  x: number;
  y: number;
  width: number;
  height: number;
}

function box(kind: Box['kind'], name: string, lines: readonly Line[], fill: string, stroke: string, extra: Partial<Pick<Box, 'strokeWidth' | 'health'>> = {}): Box {
  const width = Math.max(...lines.map((l) => l.text.length)) * CHAR_WIDTH + 2 * PAD_X;
  return { kind, name, lines, fill, stroke, ...extra, x: 0, y: 0, width, height: lines.length * LINE_HEIGHT + 2 * PAD_Y };
}

function drawBox(b: Box): { xml: string } {
  return el('g', { class: b.kind, 'data-name': b.name, ...(b.health && { 'data-health': b.health }) },
    el('rect', { x: n(b.x), y: n(b.y), width: n(b.width), height: n(b.height), rx: 6, fill: b.fill, stroke: b.stroke, 'stroke-width': b.strokeWidth ?? 1 }),
    ...b.lines.map((line, i) => el('text', {
      x: n(b.x + PAD_X), y: n(b.y + PAD_Y + (i + 1) * LINE_HEIGHT - 4),
      fill: line.colour ?? COLOURS.text, 'font-weight': line.bold ? 'bold' : undefined,
    }, line.text)));
}

/** Stacks boxes from the top at x; returns the bottom. */
function stack(boxes: readonly Box[], x: number, top: number): number {
  let y = top;
  for (const b of boxes) {
    b.x = x;
    b.y = y;
    y += b.height + BOX_GAP;
  }
  return boxes.length === 0 ? top : y - BOX_GAP;
}

const columnWidth = (boxes: readonly Box[]): number => Math.max(0, ...boxes.map((b) => b.width));
const left = (b: Box) => ({ x: b.x, y: b.y + b.height / 2 });
const right = (b: Box) => ({ x: b.x + b.width, y: b.y + b.height / 2 });
const centre = (b: Box): number => b.y + b.height / 2;

/**
 * Where each link meets the box at its `end`: points spread evenly down that side, in the order of
 * the links' other ends from top to bottom, so links meeting at one box neither share a point nor
 * cross there.
 */
function ports<L>(links: readonly L[], end: (link: L) => Box, other: (link: L) => Box): Map<L, number> {
  const atBox = new Map<Box, L[]>();
  for (const link of links) atBox.set(end(link), [...(atBox.get(end(link)) ?? []), link]);
  const result = new Map<L, number>();
  for (const [box, list] of atBox) {
    list.sort((a, b) => centre(other(a)) - centre(other(b)));
    list.forEach((link, i) => result.set(link, box.y + (box.height * (i + 1)) / (list.length + 1)));
  }
  return result;
}

interface Edge {
  readonly kind: 'member' | 'director' | 'real-server';
  readonly from: { x: number; y: number };
  readonly to: { x: number; y: number };
  readonly stroke: string;
  readonly width: number;
  readonly dash?: string;
  readonly label?: string;
  readonly labelColour?: string;
  readonly data: Attrs;
}

function drawEdge(e: Edge): { xml: string } {
  const line = el('line', {
    x1: n(e.from.x), y1: n(e.from.y), x2: n(e.to.x), y2: n(e.to.y),
    stroke: e.stroke, 'stroke-width': e.width, 'stroke-dasharray': e.dash,
  });
  if (e.label === undefined) return el('g', { class: `edge ${e.kind}`, ...e.data }, line);
  // Just before the end, above the line: edges end at ports of their own, so their labels stay apart.
  return el('g', { class: `edge ${e.kind}`, ...e.data }, line, el('text', {
    x: n(e.to.x - 6), y: n(e.to.y - 4), 'text-anchor': 'end', fill: e.labelColour ?? e.stroke,
    stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke',
  }, e.label));
}

function groupBox(g: TopologyGroup): Box {
  const live = liveMasterWords(g);
  return box('group', g.name, [
    { text: g.name, bold: true },
    { text: `vrid ${g.vrid} on ${g.interface}` },
    ...(g.virtualIps.length === 0 ? [{ text: 'no VIP', colour: COLOURS.muted }] : g.virtualIps.map((vip) => ({ text: `VIP ${vip}` }))),
    ...(g.preempt ? [] : [{ text: 'preempt off', colour: COLOURS.muted }]),
    { text: live.words, colour: LIVE_COLOUR[live.state] },
  ], COLOURS.group, COLOURS.groupBorder);
}

function hostBox(h: TopologyHost, liveMasterOf: readonly string[]): Box {
  const bad = h.unreachable !== undefined;
  return box('host', h.name, [
    { text: h.name, bold: true },
    { text: hostLabel(h), colour: COLOURS.muted },
    { text: hostStateWords(h), ...((bad || h.running === false) && { colour: bad ? COLOURS.bad : COLOURS.muted }) },
    ...liveMasterOf.map((group) => ({ text: `live master of ${group}`, colour: COLOURS.master })),
  ], COLOURS.box, bad ? COLOURS.bad : COLOURS.border, bad ? { strokeWidth: 2 } : {});
}

function virtualServerBox(vs: TopologyVirtualServer): Box {
  const quorum = quorumWords(vs);
  return box('virtual-server', virtualServerLabel(vs), [
    { text: virtualServerLabel(vs), bold: true },
    { text: endpoint(vs) },
    { text: `${vs.scheduler}, ${vs.method}`, colour: COLOURS.muted },
    { text: quorum.words, colour: HEALTH_FILL[quorum.state].stroke },
  ], COLOURS.box, COLOURS.border);
}

/** Legend: what the edges and colours mean, one row at the bottom. */
function legend(x: number, y: number): { xml: string; width: number } {
  const items: { xml: string }[] = [];
  let at = x;
  const sample = (stroke: string, width: number, dash: string | undefined, label: string): void => {
    items.push(el('line', { x1: n(at), y1: n(y - 4), x2: n(at + 30), y2: n(y - 4), stroke, 'stroke-width': width, 'stroke-dasharray': dash }));
    items.push(el('text', { x: n(at + 36), y: n(y), fill: COLOURS.muted }, label));
    at += 36 + label.length * CHAR_WIDTH + 20;
  };
  sample(COLOURS.master, 3, undefined, 'expected master');
  sample(COLOURS.backup, 1.5, '5 3', 'backup');
  for (const [state, label] of [['up', 'up'], ['down', 'down'], ['mixed', 'mixed'], ['unknown', 'health unknown']] as const) {
    items.push(el('rect', { x: n(at), y: n(y - 11), width: 14, height: 14, rx: 3, fill: HEALTH_FILL[state].fill, stroke: HEALTH_FILL[state].stroke }));
    items.push(el('text', { x: n(at + 20), y: n(y), fill: COLOURS.muted }, label));
    at += 20 + label.length * CHAR_WIDTH + 20;
  }
  return { xml: el('g', { class: 'legend' }, ...items).xml, width: at - x };
}

/** The topology as a standalone SVG document. */
export function renderSvg(t: Topology): string {
  const liveMasterOf = (host: string): string[] => t.groups.filter((g) => g.liveMasters?.includes(host)).map((g) => g.name);
  const groups = t.groups.map(groupBox);
  const hosts = t.hosts.map((h) => hostBox(h, liveMasterOf(h.name)));
  const services = t.virtualServers.map((vs) => ({
    vs,
    box: virtualServerBox(vs),
    reals: vs.realServers.map((rs) => {
      const health = realServerHealthWords(rs, vs);
      const colours = HEALTH_FILL[health.state];
      return box('real-server', rs.name, [
        { text: rs.name, bold: true },
        { text: `${endpoint({ protocol: 'TCP', address: rs.address, port: rs.port })}, weight ${rs.weight}` },
        { text: health.words, colour: colours.stroke },
      ], colours.fill, colours.stroke, { health: health.state });
    }),
  }));

  // Columns left to right; an empty column takes no room, but for the hosts', which the others link to.
  const top = MARGIN + 34;
  let x = MARGIN;
  const place = (boxes: readonly Box[], always = false): number => {
    const at = x;
    if (boxes.length > 0 || always) x += columnWidth(boxes) + COLUMN_GAP;
    return at;
  };
  const groupX = place(groups);
  const hostX = place(hosts, true);
  const serviceBoxes = services.map((s) => s.box);
  const serviceX = place(serviceBoxes);
  const realBoxes = services.flatMap((s) => s.reals);
  const realX = place(realBoxes);

  let bottom = Math.max(stack(groups, groupX, top), stack(hosts, hostX, top));
  // A virtual server and its real servers share a band, the virtual server at its top.
  let y = top;
  for (const s of services) {
    const vsBottom = stack([s.box], serviceX, y);
    const realsBottom = stack(s.reals, realX, y);
    y = Math.max(vsBottom, realsBottom) + BOX_GAP * 2;
    bottom = Math.max(bottom, vsBottom, realsBottom);
  }

  const hostByName = new Map(t.hosts.map((h, i) => [h.name, hosts[i]!]));
  const memberLinks = t.groups.flatMap((g, i) => {
    const master = expectedMasterOf(g);
    return g.members.flatMap((m) => {
      const host = hostByName.get(m.host);
      return host ? [{ group: g, box: groups[i]!, member: m, host, isMaster: m === master }] : [];
    });
  });
  const directorLinks = services.flatMap((s) => s.vs.directors.flatMap((director) => {
    const host = hostByName.get(director);
    return host ? [{ service: s.box, director, host }] : [];
  }));
  const groupPorts = ports(memberLinks, (l) => l.box, (l) => l.host);
  const memberPorts = ports(memberLinks, (l) => l.host, (l) => l.box);
  const servicePorts = ports(directorLinks, (l) => l.service, (l) => l.host);
  const directorPorts = ports(directorLinks, (l) => l.host, (l) => l.service);
  const edges: Edge[] = [
    ...memberLinks.map((l): Edge => ({
      kind: 'member', from: { x: right(l.box).x, y: groupPorts.get(l)! }, to: { x: l.host.x, y: memberPorts.get(l)! },
      stroke: l.isMaster ? COLOURS.master : COLOURS.backup, width: l.isMaster ? 3 : 1.5, ...(!l.isMaster && { dash: '5 3' }),
      label: `${l.isMaster ? 'master' : 'backup'} ${l.member.priority}`,
      data: { 'data-group': l.group.name, 'data-host': l.member.host, 'data-role': l.isMaster ? 'master' : 'backup', 'data-priority': l.member.priority },
    })),
    ...directorLinks.map((l): Edge => ({
      kind: 'director', from: { x: l.service.x, y: servicePorts.get(l)! }, to: { x: right(l.host).x, y: directorPorts.get(l)! },
      stroke: COLOURS.border, width: 1.5, data: { 'data-virtual-server': l.service.name, 'data-host': l.director },
    })),
    ...services.flatMap((s) => s.reals.map((r): Edge => ({
      kind: 'real-server', from: right(s.box), to: left(r), stroke: r.stroke, width: 1, data: { 'data-virtual-server': s.box.name, 'data-real-server': r.name },
    }))),
  ];

  const key = legend(MARGIN, bottom + 36);
  const width = Math.max(x - COLUMN_GAP + MARGIN, MARGIN * 2 + key.width, MARGIN * 2 + title(t).length * CHAR_WIDTH * 14 / 12);
  const height = bottom + 36 + MARGIN;
  const svg = el('svg', {
    xmlns: 'http://www.w3.org/2000/svg', width: n(width), height: n(height), viewBox: `0 0 ${n(width)} ${n(height)}`,
    'font-family': 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', 'font-size': FONT_SIZE,
  },
  el('title', {}, title(t)),
  el('rect', { x: 0, y: 0, width: n(width), height: n(height), fill: '#ffffff' }),
  el('text', { x: MARGIN, y: MARGIN + 8, 'font-size': 14, 'font-weight': 'bold', fill: COLOURS.text }, title(t)),
  el('g', { class: 'edges' }, ...edges.map(drawEdge)),
  el('g', { class: 'groups' }, ...groups.map(drawBox)),
  el('g', { class: 'hosts' }, ...hosts.map(drawBox)),
  el('g', { class: 'virtual-servers' }, ...serviceBoxes.map(drawBox)),
  el('g', { class: 'real-servers' }, ...realBoxes.map(drawBox)),
  { xml: key.xml });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg.xml}\n`;
}
