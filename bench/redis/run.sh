#!/usr/bin/env bash
# bench/redis/run.sh [build-dir] — the queue store's lookups and joins beside redis-benchmark figures
# for comparable single commands (GET, and an EVAL of ZRANK on a 100 000-member ZSET), 16 clients.
# Needs a redis-server: TICKETING_TEST_REDIS (scripts/services start) or redis://127.0.0.1:6390/0.
set -euo pipefail
build=${1:-build/release}
url=${TICKETING_TEST_REDIS:-redis://127.0.0.1:6390/0}
hostport=${url#redis://}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}
bin="$build/bench/redis/ticketing_bench_redis"
[ -x "$bin" ] || { echo "build $bin first (cmake --build $build --target ticketing_bench_redis)" >&2; exit 2; }

out=$("$bin" "$url" 100000 16 200000)
echo "$out" | grep -v '^RESULT'

zset="bench:zrank:$$"
redis-cli -h "$host" -p "$port" EVAL "for i=1,100000 do redis.call('ZADD', KEYS[1], i, 'm'..i) end" 1 "$zset" >/dev/null
# -q still prints progress lines ending in \r: keep the final "<name>: <n> requests per second" line.
final() { tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1; }
get_ops=$(redis-benchmark -h "$host" -p "$port" -c 16 -n 100000 -q -t get | final)
zrank_ops=$(redis-benchmark -h "$host" -p "$port" -c 16 -n 100000 -q \
  EVAL "return redis.call('ZRANK', KEYS[1], ARGV[1])" 1 "$zset" m50000 | final)
redis-cli -h "$host" -p "$port" DEL "$zset" >/dev/null

status_ops=$(echo "$out" | sed -n 's/.*status_ops=\([0-9.]*\).*/\1/p')
join_ops=$(echo "$out" | sed -n 's/.*join_ops=\([0-9.]*\).*/\1/p')
echo
printf '%-34s %12s\n' "what (16 clients)" "ops/s"
printf '%-34s %12.0f\n' "redis-benchmark GET" "$get_ops"
printf '%-34s %12.0f\n' "redis-benchmark EVAL ZRANK (100k)" "$zrank_ops"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-34s %12.0f   %s x EVAL ZRANK\n' "ticketing status lookup" "$status_ops" "$(ratio "$status_ops" "$zrank_ops")"
printf '%-34s %12.0f   %s x EVAL ZRANK\n' "ticketing join" "$join_ops" "$(ratio "$join_ops" "$zrank_ops")"
