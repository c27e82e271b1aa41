/**
 * OpenPGP ASCII armor (RFC 4880 §6): apt reads armored keyrings named *.asc, and a text
 * file can be compared, diffed and written like any other config file.
 */
export function armoredKey(key: string | Buffer): string {
  const bytes = Buffer.from(key);
  if (bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP')) return bytes.toString('utf8');
  const body = bytes.toString('base64').replace(/.{1,64}/g, '$&\n');
  const crc = Buffer.alloc(3);
  crc.writeUIntBE(crc24(bytes), 0, 3);
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body}=${crc.toString('base64')}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}
