import { randomBytes } from 'node:crypto';

/**
 * One id per st2prov process. Its sessions share a host's lock (a machine named twice in the
 * inventory), and its temp files on hosts carry it: a temp file of another id is what a
 * killed run left, and may be swept.
 */
export const RUN_ID = randomBytes(6).toString('hex');
