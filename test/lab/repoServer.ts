import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

/**
 * Serves the lab's apt repository to the lab hosts, read-only, on the bridge address.
 * Started detached by `lab:up`; `lab:down` stops it by its recorded PID.
 */
const [root, address, port] = process.argv.slice(2) as [string, string, string];

createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://lab').pathname));
  const file = join(root, path);
  if (!file.startsWith(root) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(403).end();
    return;
  }
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}).listen(Number(port), address);
