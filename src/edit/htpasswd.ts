import { createHash } from 'node:crypto';

/*
 * Apache's APR1 MD5 crypt ($apr1$), the htpasswd format StackStorm's flat_file backend
 * reads (passlib). Computed on the control machine from a salt kept with the secrets, so
 * every blueprint gets the same line and an unchanged password gives an unchanged file.
 */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function apr1(password: string, salt: string): string {
  const pw = Buffer.from(password);
  const s = Buffer.from(salt.slice(0, 8));
  const magic = Buffer.from('$apr1$');
  let final = md5(pw, s, pw);
  const ctx: Buffer[] = [pw, magic, s];
  for (let len = pw.length; len > 0; len -= 16) ctx.push(final.subarray(0, Math.min(16, len)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.push(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  final = md5(...ctx);
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [];
    parts.push(i & 1 ? pw : final);
    if (i % 3) parts.push(s);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? final : pw);
    final = md5(...parts);
  }
  const to64 = (v: number, n: number) => {
    let out = '';
    for (let k = 0; k < n; k++) {
      out += ITOA64[v & 0x3f];
      v >>= 6;
    }
    return out;
  };
  const f = final;
  const encoded =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `$apr1$${salt.slice(0, 8)}$${encoded}`;
}

export function saltFrom(random: Buffer): string {
  return [...random.subarray(0, 8)].map((b) => ITOA64[b & 0x3f]).join('');
}

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}
