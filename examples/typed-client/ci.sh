#!/usr/bin/env bash
# CI for the typed client example: installs it from its lockfile, regenerates its types from
# the committed schema.graphql (so a schema change that breaks the example fails here),
# typechecks and compiles it, then runs it against a real `infoharbor serve` on a free
# loopback port: a trusted correspondent publishes 25 opportunities and the example must list
# all of them, page by page (10 a page, so it crosses two page boundaries). Needs no network
# after `npm ci`. Exits non-zero on any failure.
set -euo pipefail
example_dir="$(cd "$(dirname "$0")" && pwd)"
repository_dir="$(cd "$example_dir/../.." && pwd)"
cd "$repository_dir"

opportunity_count=25
page_size=10
country=VN
sector=05
email=typed-client@example.org
password="typed-client-$RANDOM-$RANDOM"

cargo build -q -p api
binary="$repository_dir/target/debug/infoharbor"

work_dir=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT

# The example's own node_modules, from package-lock.json (exact, integrity-checked); the
# npm cache serves it without a download when it holds every package.
npm ci --prefix "$example_dir" --prefer-offline --no-audit --no-fund --loglevel=error
# Codegen's progress is noise on success; on failure (an operation no longer valid against
# schema.graphql) its log says which field and where.
npm run --prefix "$example_dir" codegen >"$work_dir/codegen.log" 2>&1 || {
  echo "graphql-codegen failed against schema.graphql:" >&2
  cat "$work_dir/codegen.log" >&2
  exit 1
}
# Typechecks (strict) and compiles to dist/ in one pass; a type error fails it.
(cd "$example_dir" && npx --no-install tsc)

# SQLite in a fresh data dir, whatever the caller's environment names.
unset DATABASE_URL HARBOR_DATA_DIR HARBOR_JWT_SECRET HARBOR_BIND
export RUST_LOG=info

# The user first: `user add` creates and migrates the database, and works as well while a
# server runs (SQLite's WAL), but before the server there is nothing to wait for.
printf '%s\n' "$password" |
  "$binary" user add --email "$email" --role correspondent --countries "$country" \
    --sectors "$sector" --trusted --data-dir "$work_dir/data" >/dev/null 2>"$work_dir/user-add.log" || {
  echo "infoharbor user add failed:" >&2
  cat "$work_dir/user-add.log" >&2
  exit 1
}

"$binary" serve --bind 127.0.0.1:0 --data-dir "$work_dir/data" 2>"$work_dir/server.log" &
server_pid=$!
address=""
for _ in $(seq 1 600); do
  # The address as the server logs it (`address=127.0.0.1:PORT`), as the Rust tests read it.
  address=$(grep -o 'address=[^ ]*' "$work_dir/server.log" | head -n 1 | cut -d= -f2 || true)
  [ -n "$address" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$address" ]; then
  echo "the server did not start:" >&2
  cat "$work_dir/server.log" >&2
  exit 1
fi
# Ready once the search index has caught up with the database (/readyz answers 200).
for _ in $(seq 1 300); do
  curl -fs --noproxy '*' -o /dev/null "http://$address/readyz" && break
  sleep 0.1
done
curl -fs --noproxy '*' -o /dev/null "http://$address/readyz" || {
  echo "the server never became ready:" >&2
  cat "$work_dir/server.log" >&2
  exit 1
}

export INFOHARBOR_URL="http://$address/graphql"
export INFOHARBOR_EMAIL="$email"
export INFOHARBOR_PASSWORD="$password"
node "$example_dir/dist/seed.js" "$opportunity_count" "$country" "$sector"

echo "\$ node dist/main.js --country $country --page-size $page_size"
node "$example_dir/dist/main.js" --country "$country" --page-size "$page_size" | tee "$work_dir/output"

# Every title exactly once, with its country, and the closing line's counts.
failures=0
for number in $(seq -f '%02g' 1 "$opportunity_count"); do
  matches=$(grep -c "^Typed client opportunity $number	$country\$" "$work_dir/output" || true)
  if [ "$matches" -ne 1 ]; then
    echo "opportunity $number listed $matches times, not once" >&2
    failures=$((failures + 1))
  fi
done
pages=$(((opportunity_count + page_size - 1) / page_size))
expected_summary="$opportunity_count opportunities in $pages pages (totalCount $opportunity_count)"
if ! grep -qxF "$expected_summary" "$work_dir/output"; then
  echo "expected the closing line \"$expected_summary\"" >&2
  failures=$((failures + 1))
fi

# SIGTERM: the server finishes what is in flight and exits 0.
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
if [ "$server_status" -ne 0 ]; then
  echo "the server exited with status $server_status after SIGTERM:" >&2
  tail -n 20 "$work_dir/server.log" >&2
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "typed client example: FAILED" >&2
  exit 1
fi
echo "typed client example: listed all $opportunity_count opportunities in $pages pages of $page_size"
