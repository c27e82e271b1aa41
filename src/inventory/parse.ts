import { InventoryError } from '../core/errors.js';
import { MAX_HOST_ENTRIES } from './limits.js';
import { expandHostPattern } from './ranges.js';
import { splitAssignment, splitWords, type Word } from './tokenize.js';

/** Where a value was written, so any later complaint about it can point there. */
export interface Origin {
  file: string;
  line: number;
}

export interface VarDef extends Origin {
  value: unknown;
}

export interface ParsedHost extends Origin {
  name: string;
  vars: Map<string, VarDef>;
}

export interface ParsedGroup extends Origin {
  name: string;
  hosts: string[];
  children: string[];
  vars: Map<string, VarDef>;
  /** false for a group only ever named as a child or :vars target */
  declared: boolean;
}

export interface ParsedInventory {
  file: string;
  hosts: Map<string, ParsedHost>;
  groups: Map<string, ParsedGroup>;
}

export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const HOST_NAME = /^[A-Za-z0-9_.\[\]:-]+$/;

/** Parses Ansible's INI inventory, the subset people write. Every error names file and line. */
export function parseInventory(text: string, file: string): ParsedInventory {
  const inv: ParsedInventory = { file, hosts: new Map(), groups: new Map() };
  let section: { group: string; kind: 'hosts' | 'vars' | 'children' } = { group: 'ungrouped', kind: 'hosts' };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const at: Origin = { file, line: index + 1 };
    const fail = (problem: string, remedy?: string): never => {
      throw new InventoryError(file, at.line, problem, remedy);
    };
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const m = /^\[([^\]:\s]+)(?::([a-z]+))?\]\s*(?:[#;].*)?$/.exec(line);
      if (!m) fail(`cannot read section header "${line}"`, 'write [group], [group:vars] or [group:children]');
      const [, name, kind] = m!;
      if (!GROUP_NAME.test(name!)) fail(`invalid group name "${name}"`, 'use letters, digits, _ and -, starting with a letter or _');
      if (kind !== undefined && kind !== 'vars' && kind !== 'children') {
        fail(`unknown section type ":${kind}" in [${name}:${kind}]`, 'only :vars and :children exist');
      }
      const group = groupOf(inv, name!, at);
      if (kind === undefined) group.declared = true;
      section = { group: name!, kind: (kind as 'vars' | 'children' | undefined) ?? 'hosts' };
      return;
    }
    const split = splitWords(line);
    if ('error' in split) return fail(split.error, 'close the quote');
    const words = split.words;
    if (words.length === 0) return;
    const group = groupOf(inv, section.group, at);
    if (section.kind === 'vars') {
      const assignment = splitAssignment(line);
      if (!assignment) fail(`expected key=value in [${section.group}:vars]${leadingName(line)}`, 'write name=value; the value is not repeated here in case it is a secret');
      const [key, rawValue] = assignment!;
      const name = key.trim();
      if (!VAR_NAME.test(name)) fail(`invalid variable name "${short(name)}"`, 'use letters, digits and _, starting with a letter or _');
      // In :vars sections Ansible keeps values as strings; surrounding quotes are stripped.
      const valueWords = splitWords(rawValue.trim());
      const value = 'error' in valueWords ? fail(valueWords.error, 'close the quote') : valueWords.words.map((w) => w.text).join(' ');
      group.vars.set(name, { value, ...at });
      return;
    }
    if (section.kind === 'children') {
      if (words.length !== 1) fail(`expected one group name per line in [${section.group}:children]`);
      const child = words[0]!.text;
      if (!GROUP_NAME.test(child)) fail(`invalid group name "${child}"`);
      if (child === section.group) fail(`group "${child}" cannot be its own child`);
      groupOf(inv, child, at);
      if (!group.children.includes(child)) group.children.push(child);
      return;
    }
    const [first, ...rest] = words as [Word, ...Word[]];
    const { names, port } = hostNames(first.text, fail);
    const vars = new Map<string, VarDef>();
    if (port !== undefined) vars.set('ansible_port', { value: port, ...at });
    for (const word of rest) {
      const assignment = splitAssignment(word.text);
      if (!assignment) fail(`expected key=value after host "${first.text}"${leadingName(word.text)}`, 'write name=value, and quote values that contain spaces (the value is not repeated here in case it is a secret)');
      const [key, value] = assignment!;
      if (!VAR_NAME.test(key)) fail(`invalid variable name "${short(key)}"`, 'use letters, digits and _, starting with a letter or _');
      vars.set(key, { value: word.quoted ? value : literal(value), ...at });
    }
    for (const name of names) {
      let host = inv.hosts.get(name);
      if (!host) {
        if (inv.hosts.size >= MAX_HOST_ENTRIES) fail(`the inventory lists more than ${MAX_HOST_ENTRIES.toLocaleString('en')} hosts`, 'split it into several inventories');
        host = { name, vars: new Map(), ...at };
        inv.hosts.set(name, host);
      }
      for (const [k, v] of vars) host.vars.set(k, v);
      if (!group.hosts.includes(name)) group.hosts.push(name);
    }
  });
  return inv;
}

export function groupOf(inv: ParsedInventory, name: string, at: Origin): ParsedGroup {
  let group = inv.groups.get(name);
  if (!group) {
    group = { name, hosts: [], children: [], vars: new Map(), declared: false, ...at };
    inv.groups.set(name, group);
  }
  return group;
}

export function hostNames(word: string, fail: (problem: string, remedy?: string) => never): { names: string[]; port?: number } {
  let name = word;
  let port: number | undefined;
  const portMatch = /^(.*[^\]:]|.*\]):(\d+)$/.exec(word);
  if (portMatch && !word.includes('::')) {
    name = portMatch[1]!;
    port = Number(portMatch[2]);
    if (port < 1 || port > 65535) fail(`port ${portMatch[2]} out of range in "${word}"`);
  }
  if (!HOST_NAME.test(name)) fail(`invalid host name "${word}"`, 'a host line starts with a name, then key=value pairs');
  // ssh, and every command a host's name or address is given to, would read it as an option
  if (name.startsWith('-')) fail(`invalid host name "${word}": it starts with "-"`, 'no host name or address starts with "-"');
  const expanded = expandHostPattern(name);
  if (typeof expanded === 'string') return fail(expanded);
  return { names: expanded, ...(port !== undefined ? { port } : {}) };
}

/** Inline host values are literals in Ansible: numbers and True/False; anything else is a string. */
function literal(text: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^-?\d+\.\d+$/.test(text)) return Number(text);
  if (text === 'True' || text === 'true') return true;
  if (text === 'False' || text === 'false') return false;
  return text;
}

/** The name a malformed assignment starts with, if it has one: enough to find it, never its value. */
function leadingName(text: string): string {
  const name = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(text)?.[1];
  return name ? ` (near "${short(name)}")` : '';
}

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
