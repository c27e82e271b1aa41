import type { Operation } from '../core/operation.js';
import { template } from './template.js';

/*
 * nginx -t checks a whole configuration, not one file: the candidate is put into a copy of
 * /etc/nginx at its place, the copy's nginx.conf is pointed at the copy, and nginx -t runs
 * on that. Only if it passes does the candidate replace the live file.
 */
const NGINX_CHECK = `set -e
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp -a /etc/nginx/. "$t/"
rel=\${2#/etc/nginx/}
mkdir -p "$t/$(dirname "$rel")"
cp "$1" "$t/$rel"
sed -i "s#/etc/nginx/#$t/#g" "$t/nginx.conf"
nginx -t -q -c "$t/nginx.conf"`;

export function nginxValidator(livePath: string): string[] {
  return ['sh', '-c', NGINX_CHECK, 'sh', '%s', livePath];
}

/** An nginx config file from a template, checked by nginx -t before it goes live. */
export function nginxConfig(name: string, path: string, vars: Record<string, unknown>, notify: string[]): Operation {
  return template(name, vars, { path, mode: '0644', owner: 'root:root', validate: nginxValidator(path), notify });
}
