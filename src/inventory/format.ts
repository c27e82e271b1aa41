import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { InventoryError, UsageError } from '../core/errors.js';
import { MAX_INVENTORY_BYTES } from './limits.js';
import { parseInventory, type ParsedInventory } from './parse.js';
import { parseYamlInventory } from './parseYaml.js';

export type InventoryFormat = 'ini' | 'yaml';

/** Reads an inventory file, at most MAX_INVENTORY_BYTES of it, and parses it as INI or YAML. */
export function parseInventoryFile(file: string): ParsedInventory {
  const text = readInventoryText(file);
  return inventoryFormat(file, text) === 'yaml' ? parseYamlInventory(text, file) : parseInventory(text, file);
}

/**
 * .yml and .yaml are YAML, and .json (JSON is YAML), as for Ansible's yaml plugin; .ini is INI.
 * Any other name (`hosts`, `inventory`) is YAML when its first meaningful line is a key
 * with nothing after the colon and the next line is indented under it (`all:`, `webservers:`),
 * or a flow mapping (`all: {`), or a YAML document marker; anything else, `[group]` first of
 * all, is INI.
 */
export function inventoryFormat(file: string, text: string): InventoryFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini') return 'ini';
  const meaningful: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/, 10_000)) {
    if (/^\s*(?:[#;].*)?$/.test(line)) continue;
    meaningful.push(line);
    if (meaningful.length === 2) break;
  }
  const [first, next] = meaningful;
  if (first === undefined) return 'ini';
  if (/^(?:---|%YAML)(?:\s|$)/.test(first)) return 'yaml';
  if (/^[^\s\[#;:][^\s:]*:\s*\{/.test(first)) return 'yaml';
  if (/^[^\s\[#;:][^\s:]*:\s*(?:#.*)?$/.test(first) && next !== undefined && /^\s/.test(next)) return 'yaml';
  return 'ini';
}

function readInventoryText(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UsageError(`cannot read inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, 'give the path of an inventory: inventory.ini, or inventory.yml for YAML');
  }
  try {
    // one byte more than allowed tells a file at the limit from a larger one; a device or a
    // pipe has no size to ask for beforehand
    const buffer = Buffer.alloc(MAX_INVENTORY_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_INVENTORY_BYTES) {
      throw new InventoryError(file, 1, `the file is larger than ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB, the most st2prov reads as an inventory`, 'check that this is the inventory');
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    throw new UsageError(`cannot read inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, 'give the path of an inventory file');
  } finally {
    closeSync(fd);
  }
}
