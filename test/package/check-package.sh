#!/usr/bin/env bash
# The package as an operator gets it: packs the project as a fresh clone has it (no dist/),
# installs the tarball into a temporary prefix with production dependencies only, and runs
# the installed st2prov from / so nothing can come from the project folder.
# Needs `npm ci` done in the project (the pack builds with its TypeScript) and the npm
# registry (the install fetches the runtime dependencies). Exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/st2prov-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
trap 'printf "\ncheck-package: FAILED: line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

fail() {
  printf '\ncheck-package: FAILED: %s\n' "$*" >&2
  exit 1
}
say() { printf 'check-package: %s\n' "$*" >&2; }

# runs the installed st2prov from / with ARGS; its stdout is in $work/out, stderr in $work/err
rc=0
st2prov() {
  rc=0
  (cd / && CI=true "$prefix/bin/st2prov" "$@") >"$work/out" 2>"$work/err" || rc=$?
}
expect_exit() {
  local want=$1 what=$2
  if [ "$rc" -ne "$want" ]; then
    cat "$work/out" "$work/err" >&2
    fail "$what: exit $rc, expected $want"
  fi
}

[ -d "$root/node_modules/typescript" ] || fail "run npm ci in $root first: packing builds with its TypeScript"
git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "$root is not a git work tree: the check packs the files git knows"
version="$(node -p 'require(process.argv[1]).version' "$root/package.json")"

say "copying the project as a clone has it (tracked and new files, nothing git ignores)"
clone="$work/clone"
mkdir "$clone"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar -c --null --ignore-failed-read -T -) | tar -x -C "$clone" ||
  fail "could not copy the project's files to $clone"
[ ! -e "$clone/dist" ] || fail "the copy has a dist/ folder: it must be built by the pack"
ln -s "$root/node_modules" "$clone/node_modules"

say "npm pack"
(cd "$clone" && npm pack --pack-destination "$work" >"$work/pack.log" 2>&1) || { cat "$work/pack.log" >&2; fail "npm pack failed"; }
tarball="$work/st2prov-$version.tgz"
[ -f "$tarball" ] || { cat "$work/pack.log" >&2; fail "npm pack made no $tarball"; }

say "the tarball's files"
tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/files"
unwanted="$(grep -E '(^|/)(test|bench|lab|fixtures|node_modules|\.ci)/|^dist/(test|bench)/|\.ts$|\.map$|^tsconfig|\.tgz$' "$work/files" || true)"
[ -z "$unwanted" ] || fail "the tarball has files the CLI does not need:
$unwanted"
for f in package.json README.md LICENSE bin/st2prov.js dist/src/cli.js \
  dist/playbooks/site.js dist/playbooks/controller.js dist/playbooks/blueprint.js dist/playbooks/material.js dist/playbooks/check.js dist/playbooks/restart.js \
  templates/st2.conf.ejs templates/nginx-controller.conf.ejs templates/nginx-blueprint.conf.ejs inventory/reference.ini; do
  grep -qxF "$f" "$work/files" || fail "the tarball lacks $f"
done

say "npm install -g the tarball into a temporary prefix, production dependencies only"
prefix="$work/prefix"
npm install --global --prefix "$prefix" --omit=dev --no-audit --no-fund "$tarball" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "npm install -g $tarball failed"; }
pkg="$prefix/lib/node_modules/st2prov"
[ -x "$prefix/bin/st2prov" ] || fail "the install made no $prefix/bin/st2prov"
[ -z "$(find "$prefix" -type d \( -path '*/node_modules/typescript' -o -path '*/node_modules/@types' \) -print -quit)" ] ||
  fail "the install brought development dependencies (typescript, @types)"

say "st2prov --help"
st2prov --help
expect_exit 0 "st2prov --help"
for command in apply diff check hosts completion; do
  grep -q "st2prov $command" "$work/out" || fail "st2prov --help does not mention $command"
done

say "st2prov --version"
st2prov --version
expect_exit 0 "st2prov --version"
[ "$(cat "$work/out")" = "$version" ] || fail "st2prov --version printed \"$(cat "$work/out")\", expected \"$version\""

say "st2prov hosts on the packaged reference inventory, from /"
st2prov hosts "$pkg/inventory/reference.ini"
expect_exit 0 "st2prov hosts $pkg/inventory/reference.ini"
for host in st2-multi-node-cntl st2-multi-node-1 st2-multi-node-2; do
  grep -q "^$host " "$work/out" || { cat "$work/out" >&2; fail "st2prov hosts does not list $host"; }
done
[ "$(ls -A "$pkg/inventory")" = reference.ini ] || fail "st2prov hosts wrote into the installed package: $(ls -A "$pkg/inventory" | tr '\n' ' ')"

say "st2prov diff with the packaged site playbook, from / (a closed port: unreachable, exit 4)"
printf '[controller]\ncntl ansible_host=127.0.0.1 ansible_port=1\n' >"$work/closed.ini"
st2prov diff "$work/closed.ini" --timeout 2 --retries 0
expect_exit 4 "st2prov diff on a host that refuses connections (1 would be a playbook or template not found)"

say "st2prov completion"
st2prov completion
expect_exit 0 "st2prov completion"
grep -q 'st2prov --get-yargs-completions' "$work/out" || fail "st2prov completion printed no completion script"

say "ok: st2prov-$version.tgz installs and runs"
