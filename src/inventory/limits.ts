/**
 * Bounds that keep a mistaken or hostile inventory from exhausting memory or time. Each one
 * is refused with an InventoryError naming file:line, before the work it would cost is done.
 */

/** Bytes read from an inventory file; /dev/zero or a log file given by mistake stops here. */
export const MAX_INVENTORY_BYTES = 4 * 1024 * 1024;

/** Hosts one range (`node[1:20000]`) may expand to; counted before expanding. */
export const MAX_RANGE_HOSTS = 10_000;

/** Host names all the entries of one file may expand to: many small ranges are no better than one huge one. */
export const MAX_HOST_ENTRIES = 100_000;

/** Levels of `children` below a group. */
export const MAX_GROUP_DEPTH = 100;

/** Nested YAML flow collections (`[[[...]]]`): the yaml package's parse time grows with depth. */
export const MAX_YAML_FLOW_DEPTH = 500;

/** Nodes YAML aliases may add when expanded ("billion laughs": ten aliases of ten aliases of ...). */
export const MAX_YAML_ALIAS_NODES = 1_000_000;

/**
 * Characters of text (keys and scalar values) YAML aliases may add when expanded: a few
 * aliases of one long value cost few nodes but repeat all its text in every value that
 * reaches it, and in every output of it (3,000 aliases of a 64 KiB string: 190 MB of text).
 * What aliases add is at most what the file itself may hold.
 */
export const MAX_YAML_ALIAS_CHARS = MAX_INVENTORY_BYTES;
