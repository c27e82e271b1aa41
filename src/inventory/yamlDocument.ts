import type { Document, Node, ScalarTag, Tags, YAMLMap } from 'yaml';
import { lazy } from '../core/lazy.js';
import { InventoryError } from '../core/errors.js';
import { MAX_YAML_ALIAS_CHARS, MAX_YAML_ALIAS_NODES, MAX_YAML_FLOW_DEPTH } from './limits.js';

/** The yaml package: loaded only for a YAML inventory. */
const yaml = lazy<typeof import('yaml')>('yaml');

/*
 * Ansible reads YAML inventories with PyYAML, a YAML 1.1 parser, so values get PyYAML's
 * implicit types: yes/no/on/off/true/false in any of their three spellings are booleans,
 * 0755 is octal, 1_000 is 1000, 3.10 is the float 3.1. The yaml package's 1.1 schema differs
 * from PyYAML in places Ansible users meet, so those tags are PyYAML's here: y/n stay strings,
 * 1e3 (no dot) and 09 (not octal) stay strings. Dates stay the strings they were written as,
 * as Ansible prints them. Explicit tags: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq
 * and Ansible's !unsafe; binary, sets, ordered maps and timestamps are no JSON-like values
 * and are refused with the other tags Ansible's loader would not know.
 */
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PY_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const pyBool: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  test: PY_BOOL,
  identify: (value) => typeof value === 'boolean',
  resolve: (text) => /^(?:yes|true|on)$/i.test(text),
};

const pyInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: PY_INT,
  identify: (value) => typeof value === 'number' && Number.isInteger(value),
  resolve(text, onError) {
    const sign = text.startsWith('-') ? -1n : 1n;
    const digits = text.replace(/^[-+]/, '').replace(/_/g, '');
    let value: bigint;
    try {
      if (digits.includes(':')) value = digits.split(':').reduce((sum, part) => sum * 60n + BigInt(part), 0n);
      else if (/^0[bx]/.test(digits)) value = BigInt(digits);
      else if (/^0[0-7]+$/.test(digits)) value = BigInt(`0o${digits.slice(1)}`);
      else value = BigInt(digits);
    } catch {
      onError(`"${text}" is not an integer`);
      return text;
    }
    const number = Number(sign * value);
    // beyond 2^53 a number would silently change the digits; the text keeps them
    return Number.isSafeInteger(number) ? number : text;
  },
};

const pyFloat: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  test: PY_FLOAT,
  identify: (value) => typeof value === 'number',
  resolve(text, onError) {
    const plain = text.replace(/_/g, '').toLowerCase();
    const sign = plain.startsWith('-') ? -1 : 1;
    const body = plain.replace(/^[-+]/, '');
    if (body === '.inf') return sign * Infinity;
    if (body === '.nan') return NaN;
    const value = body.includes(':') ? body.split(':').reduce((sum, part) => sum * 60 + Number(part), 0) : Number(body);
    if (Number.isNaN(value)) onError(`"${text}" is not a number`);
    return sign * value;
  },
};

const KEPT_TAGS = new Set(['tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq', 'tag:yaml.org,2002:str', 'tag:yaml.org,2002:null', 'tag:yaml.org,2002:merge']);
// an explicit !!int or !!float applies whatever the text looks like, as in PyYAML
const explicitOnly = (tag: ScalarTag): ScalarTag => ({ ...tag, default: false, test: undefined });
const pyyamlTags = (tags: Tags): Tags => [
  ...tags.filter((t) => typeof t !== 'string' && KEPT_TAGS.has(t.tag)),
  pyBool,
  pyInt,
  pyFloat,
  explicitOnly(pyInt),
  explicitOnly(pyFloat),
];

/** What a node expands to: nodes, and characters of keys and scalar values. */
interface Size {
  nodes: number;
  chars: number;
}

export interface Entry {
  name: string;
  value: Node | null;
  line: number;
}

/**
 * One YAML document read as Ansible reads it (PyYAML, YAML 1.1), each node keeping the line
 * it was written on. Aliases are resolved once, in document order, and what they expand to
 * is counted before anything walks through them; mappings are read with `<<` merge keys
 * applied and duplicate keys refused. Every error is an InventoryError naming file and line.
 */
export class YamlDocument {
  readonly root: Node | null;
  readonly #lines = new (yaml().LineCounter)();
  readonly #targets = new Map<Node, Node>();
  readonly #values = new Map<Node, unknown>();

  constructor(readonly file: string, text: string) {
    checkFlowDepth(text, file);
    const doc = yaml().parseDocument(text, {
      version: '1.1',
      customTags: pyyamlTags,
      merge: true,
      // checked per mapping in entries(): the yaml package's own check is quadratic in a mapping's size
      uniqueKeys: false,
      prettyErrors: false,
      lineCounter: this.#lines,
    });
    this.#refuseErrors(doc);
    this.root = doc.contents as Node | null;
    this.#indexAliases();
  }

  fail(line: number, problem: string, remedy?: string): never {
    throw new InventoryError(this.file, line, problem, remedy);
  }

  line(node: Node | null | undefined, fallback = 1): number {
    return node?.range ? this.#lines.linePos(node.range[0]).line : fallback;
  }

  /** The node an alias stands for; any other node itself. */
  deref(node: Node | null): Node | null {
    return node !== null && yaml().isAlias(node) ? this.deref(this.#targets.get(node)!) : node;
  }

  isNull(node: Node | null): boolean {
    return node === null || (yaml().isScalar(node) && node.value === null);
  }

  /** Group, host and variable names: strings, as Ansible requires of them. */
  readonly name = (key: Node | null, line: number): string => {
    const node = this.deref(key);
    if (node === null) return this.fail(line, 'a key is missing before ":"');
    if (!yaml().isScalar(node)) return this.fail(line, `a key must be a name, not ${describe(node)}`);
    if (typeof node.value !== 'string') {
      const written = String(node.source ?? node.value);
      return this.fail(line, `key ${written} is read as ${describe(node)} by YAML, not as a name`, `quote it: "${written}"`);
    }
    return node.value;
  };

  /** Keys of mappings inside values: any scalar, kept as JSON keeps keys, a string. */
  readonly valueKey = (key: Node | null, line: number): string => {
    const node = this.deref(key);
    if (node !== null && !yaml().isScalar(node)) return this.fail(line, `a key inside a value must be a scalar, not ${describe(node)}`);
    return node === null || node.value === null ? '' : String(node.value);
  };

  /** A mapping's entries with `<<` merge keys applied: explicit keys win, then earlier merge sources. */
  entries(map: YAMLMap, keyOf: (key: Node | null, line: number) => string = this.name): Entry[] {
    const explicit = new Map<string, Entry>();
    const merged = new Map<string, Entry>();
    for (const pair of map.items) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      const line = this.line(key, this.line(value, this.line(map)));
      if (key !== null && yaml().isScalar(key) && typeof key.value === 'symbol') {
        for (const source of this.#mergeSources(value, line)) {
          for (const entry of this.entries(source, keyOf)) if (!merged.has(entry.name)) merged.set(entry.name, entry);
        }
        continue;
      }
      const name = keyOf(key, line);
      const earlier = explicit.get(name);
      if (earlier) this.fail(line, `duplicate key "${name}" (first at line ${earlier.line})`, 'a key is written once per mapping; join the two');
      explicit.set(name, { name, value, line });
    }
    return [...[...merged.values()].filter((e) => !explicit.has(e.name)), ...explicit.values()];
  }

  /** A value as JSON-like data; the nodes of one anchor share one converted value. */
  value(node: Node | null): unknown {
    const target = this.deref(node);
    if (target === null) return null;
    if (yaml().isScalar(target)) {
      if (target.tag === '!vault') this.fail(this.line(target), 'this value is encrypted with ansible-vault', 'st2prov does not decrypt vault values: give it as env:NAME');
      return target.value;
    }
    const known = this.#values.get(target);
    if (known !== undefined) return known;
    let result: unknown;
    if (yaml().isMap(target)) {
      const object: Record<string, unknown> = {};
      for (const entry of this.entries(target, this.valueKey)) {
        // defineProperty: a key named __proto__ is data, not the object's prototype
        Object.defineProperty(object, entry.name, { value: this.value(entry.value), enumerable: true, writable: true, configurable: true });
      }
      result = object;
    } else if (yaml().isSeq(target)) {
      result = target.items.map((item) => this.value(item as Node | null));
    } else {
      return this.fail(this.line(target), `cannot read ${describe(target)} as a value`);
    }
    this.#values.set(target, result);
    return result;
  }

  #mergeSources(value: Node | null, line: number): YAMLMap[] {
    const node = this.deref(value);
    const sources = node !== null && yaml().isSeq(node) ? node.items.map((item) => this.deref(item as Node | null)) : [node];
    return sources.map((source) => (source !== null && yaml().isMap(source) ? source : this.fail(line, 'a merge key (<<) takes a mapping, an alias of one, or a list of them')));
  }

  #refuseErrors(doc: Document.Parsed): void {
    // Ansible's loader refuses tags it has no constructor for; !unsafe marks a plain string
    // and !vault is refused in value() with its own remedy
    const unknownTag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED' && !/Unresolved tag: !(?:unsafe|vault)$/.test(w.message));
    const error = doc.errors[0] ?? unknownTag;
    if (!error) return;
    let offset = error.pos[0];
    if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
      // the parser stops at the end of the file; the quote that is not closed opened earlier
      yaml().visit(doc, {
        Scalar(_key, node) {
          if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range && node.range[1] >= error.pos[0]) offset = Math.min(offset, node.range[0]);
        },
      });
    }
    const { line, col } = this.#lines.linePos(offset);
    this.fail(line, syntaxProblem(error.code, error.message.replace(/tag:yaml\.org,2002:/g, '!!'), col), syntaxRemedy(error.code, error.message));
  }

  /**
   * Resolves every alias to the anchor written last before it (as YAML does) and adds up
   * what the aliases expand to, in nodes and in characters of text (keys and scalar values):
   * ten aliases of ten aliases of ... ("billion laughs") and many aliases of one long value
   * are refused here, at the alias that crosses the bound, before a walk through them or an
   * output of them could take forever or fill memory. Sizes are worked out once per node, so
   * this costs what the document holds, not what it expands to. (The yaml package's own
   * guard, maxAliasCount, belongs to its toJS, which this reader does not use: toJS drops
   * the lines. Resolving here also avoids Alias.resolve, which scans the whole document.)
   */
  #indexAliases(): void {
    const anchors = new Map<string, Node>();
    const sizes = new Map<Node, Size>();
    const sizing = new Set<Node>();
    const expanded: Size = { nodes: 0, chars: 0 };
    const sizeOf = (node: Node | null): Size => {
      if (node === null) return { nodes: 1, chars: 0 };
      if (yaml().isScalar(node)) return { nodes: 1, chars: typeof node.value === 'string' ? node.value.length : String(node.source ?? node.value).length };
      if (yaml().isAlias(node)) {
        const target = this.#targets.get(node)!;
        if (sizing.has(target)) this.fail(this.line(node), `alias *${node.source} is used inside the node it names`, 'a value cannot contain itself; write it out');
        return sizeOf(target);
      }
      const known = sizes.get(node);
      if (known !== undefined) return known;
      sizing.add(node);
      // beyond 2^53 the sums lose digits, but they are far past every bound by then
      const size: Size = { nodes: 1, chars: 0 };
      const add = (part: Node | null) => {
        const s = sizeOf(part);
        size.nodes += s.nodes;
        size.chars += s.chars;
      };
      childrenOf(node).forEach(add);
      sizing.delete(node);
      sizes.set(node, size);
      return size;
    };
    const index = (node: Node | null): void => {
      if (node === null) return;
      if (yaml().isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) this.fail(this.line(node), `alias *${node.source} names no anchor written before it`, `write &${node.source} on the node it stands for, above this line`);
        this.#targets.set(node, target!);
        const size = sizeOf(target!);
        expanded.nodes += size.nodes;
        expanded.chars += size.chars;
        if (expanded.nodes > MAX_YAML_ALIAS_NODES) {
          this.fail(this.line(node), `YAML aliases expand to more than ${MAX_YAML_ALIAS_NODES.toLocaleString('en')} nodes`, 'an inventory has no need for aliases of aliases this deep; write the values out');
        }
        if (expanded.chars > MAX_YAML_ALIAS_CHARS) {
          this.fail(this.line(node), `YAML aliases expand to more than ${MAX_YAML_ALIAS_CHARS / 1024 / 1024} MiB of text (this alias, *${node.source}, repeats ${size.chars.toLocaleString('en')} characters)`, 'an inventory has no need to repeat this much: write a long value once, in the vars of a group every host that needs it is in');
        }
        return;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      childrenOf(node).forEach(index);
    };
    index(this.root);
  }
}

export function describe(node: Node): string {
  if (yaml().isMap(node)) return 'a mapping';
  if (yaml().isSeq(node)) return 'a list';
  if (yaml().isAlias(node)) return `alias *${node.source}`;
  if (yaml().isScalar(node)) {
    const value = node.value;
    if (value === null) return 'null';
    if (typeof value === 'string') return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
    if (typeof value === 'boolean') return `the boolean ${value}`;
    if (typeof value === 'number') return `the number ${value}`;
  }
  return 'a value';
}

/**
 * The yaml package's parse time grows with the depth of flow collections, so `[[[[...` is
 * refused from the tokens before it is parsed. Block nesting costs indentation and stays shallow.
 */
function checkFlowDepth(text: string, file: string): void {
  let depth = 0;
  let offset = 0;
  for (const token of new (yaml().Lexer)().lex(text)) {
    if (token === '[' || token === '{') {
      depth += 1;
      if (depth > MAX_YAML_FLOW_DEPTH) {
        const line = text.slice(0, offset).split('\n').length;
        throw new InventoryError(file, line, `YAML collections nest more than ${MAX_YAML_FLOW_DEPTH} levels deep`, 'an inventory has no need of such nesting');
      }
    } else if (token === ']' || token === '}') {
      depth -= 1;
    }
    // the lexer's control tokens (document start, flow end, scalar) stand for no source text
    if (token !== '\u0002' && token !== '\u0018' && token !== '\u001f') offset += token.length;
  }
}

function syntaxProblem(code: string, message: string, column: number): string {
  if (/call stack/i.test(message)) return 'the YAML nests too deeply to read';
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document';
  if (code === 'MISSING_CHAR' && /quote/.test(message)) return `YAML, column ${column}: this quote is not closed`;
  return `YAML, column ${column}: ${message}`;
}

function syntaxRemedy(code: string, message: string): string {
  if (/call stack/i.test(message)) return 'an inventory has no need of such nesting';
  if (code === 'MULTIPLE_DOCS') return 'an inventory is one YAML document: remove the second "---"';
  if (code === 'TAB_AS_INDENT') return 'indent with spaces';
  if (code === 'TAG_RESOLVE_FAILED') return 'st2prov reads plain YAML values, and strings tagged !unsafe; remove the tag';
  if (code === 'MISSING_CHAR' && /quote/.test(message)) return 'close the quote';
  return 'check the indentation, a missing ":" or an unclosed bracket there';
}

/** A node's children in document order: a mapping's keys and values, a sequence's items. */
function childrenOf(node: Node): (Node | null)[] {
  if (yaml().isMap(node)) return node.items.flatMap((pair) => [pair.key as Node | null, pair.value as Node | null]);
  if (yaml().isSeq(node)) return node.items as (Node | null)[];
  return [];
}
