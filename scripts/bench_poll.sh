#!/usr/bin/env bash
# End-to-end poll benchmark, on 127.0.0.1 only.
#
# Serves the benchmark corpus (examples/serve_corpus.rs: 1,000 feeds x 30
# items, ~70 MB) on a loopback port, imports it as OPML into a fresh
# database, then times `feedsieve poll --all` twice: cold (empty database,
# every feed parsed and stored) and warm (every feed answers 304). A bare
# reqwest download of the same feeds at the same concurrency
# (examples/fetch_all.rs) runs first as the baseline, since the machine is
# shared and absolute numbers drift between runs.
#
# Then the cost of syndication flags and near-duplicate clusters end to
# end: REPS more cold polls each with both on (the defaults) and both off,
# alternating, each on a fresh database; the ratio of the best wall times
# (which include closing the store) is the throughput kept with both on.
#
# Usage: bash scripts/bench_poll.sh
# Environment: COUNT (feeds, default 1000), CONCURRENCY (default 32),
#              STEP_TIMEOUT (seconds per step, default 300),
#              REPS (cold polls with the features on and off, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT="${COUNT:-1000}"
CONCURRENCY="${CONCURRENCY:-32}"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
REPS="${REPS:-3}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

# Every request goes to the loopback server, never through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
# The poll reads only the config written below.
unset FEEDSIEVE_CONFIG RUST_LOG
for name in $(compgen -e); do
    if [[ $name == FEEDSIEVE__* ]]; then unset "$name"; fi
done

echo "== building (release)"
cargo build --release --bin feedsieve --example serve_corpus --example fetch_all
BIN="$TARGET_DIR/release/feedsieve"
EXAMPLES="$TARGET_DIR/release/examples"

work="$(mktemp -d "${TMPDIR:-/tmp}/feedsieve-bench.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server stops by itself after 30 minutes even if this script is killed
# with SIGKILL and the trap never runs.
timeout 1800 "$EXAMPLES/serve_corpus" 0 --count "$COUNT" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
addr=""
for _ in $(seq 1 120); do
    addr="$(head -n 1 "$work/server.out" 2>/dev/null || true)"
    [[ -n $addr ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.25
done
if [[ $addr != 127.0.0.1:* ]]; then
    echo "serve_corpus did not start:" >&2
    cat "$work/server.err" >&2
    exit 1
fi
echo "== server on $addr: $(cat "$work/server.err")"

db="$work/feedsieve.db"
config="$work/feedsieve.toml"
cat >"$config" <<EOF
[database]
path = "$db"

[http]
allow_private_networks = true

[scheduler]
max_concurrent_fetches = $CONCURRENCY

[log]
level = "warn"

# All 1,000 bench feeds are on one host; lift the per-host politeness
# limits for it, or the pass would take 1,000 s by design.
[[host_groups]]
hosts = ["127.0.0.1"]
concurrency = $CONCURRENCY
min_interval_ms = 0
EOF

{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<opml version="2.0"><head><title>bench corpus</title></head><body>'
    for ((n = 0; n < COUNT; n++)); do
        printf '<outline type="rss" text="feed %d" xmlUrl="http://%s/feed/%d"/>\n' "$n" "$addr" "$n"
    done
    echo '</body></opml>'
} >"$work/feeds.opml"

# run_timed NAME CMD...: runs CMD bounded by STEP_TIMEOUT, stdout and stderr
# to $work/NAME.{out,err}; sets SECS (wall) and RSS_MB (peak, when
# /usr/bin/time is there).
run_timed() {
    local name=$1
    shift
    local start end
    start="$(date +%s.%N)"
    local status=0
    if [[ -x /usr/bin/time ]]; then
        timeout "$STEP_TIMEOUT" /usr/bin/time -v -o "$work/$name.time" "$@" \
            >"$work/$name.out" 2>"$work/$name.err" || status=$?
    else
        timeout "$STEP_TIMEOUT" "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
    fi
    end="$(date +%s.%N)"
    if [[ $status -ne 0 ]]; then
        echo "$name failed (exit $status):" >&2
        tail -n 20 "$work/$name.err" >&2
        exit 1
    fi
    SECS="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
    RSS_MB="n/a"
    if [[ -f $work/$name.time ]]; then
        RSS_MB="$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/$name.time")"
    fi
}

# The `poll: ...` summary's own pass time (excludes start-up and DB open).
pass_secs() {
    sed -n 's/^poll: .*, \([0-9.]*\) s$/\1/p' "$1" | tail -n 1
}

run_timed import "$BIN" --config "$config" feeds import "$work/feeds.opml"
echo "== $(tail -n 1 "$work/import.out") in $SECS s"

run_timed fetch_all "$EXAMPLES/fetch_all" "http://$addr" --count "$COUNT" --concurrency "$CONCURRENCY"
cat "$work/fetch_all.out"
bare_full="$(sed -n 's/^fetch_all pass=full .* secs=\([0-9.]*\)$/\1/p' "$work/fetch_all.out")"
bare_cond="$(sed -n 's/^fetch_all pass=conditional .* secs=\([0-9.]*\)$/\1/p' "$work/fetch_all.out")"
bare_rss="$RSS_MB"

run_timed cold "$BIN" --config "$config" poll --all
cold_secs="$SECS"
cold_rss="$RSS_MB"
cold_pass="$(pass_secs "$work/cold.out")"
echo "== cold: $(tail -n 1 "$work/cold.out")"
if command -v sqlite3 >/dev/null; then
    items="$(sqlite3 "$db" 'SELECT COUNT(*) FROM articles')"
else
    items="$(tail -n 1 "$work/cold.out" | sed -n 's/.*, \([0-9]*\) items new,.*/\1/p')"
fi

run_timed warm "$BIN" --config "$config" poll --all
warm_secs="$SECS"
warm_rss="$RSS_MB"
warm_pass="$(pass_secs "$work/warm.out")"
echo "== warm: $(tail -n 1 "$work/warm.out")"

# The same cold poll with syndication flags and clusters on and off.
cp "$config" "$work/off.toml"
cat >>"$work/off.toml" <<EOF

[syndication]
enabled = false

[near_duplicates]
enabled = false
EOF
best_on=""
best_off=""
for ((rep = 1; rep <= REPS; rep++)); do
    for features in on off; do
        cfg="$work/$features-$rep.toml"
        src="$config"
        [[ $features == off ]] && src="$work/off.toml"
        sed "s|^path = .*|path = \"$work/$features-$rep.db\"|" "$src" >"$cfg"
        run_timed "import-$features-$rep" "$BIN" --config "$cfg" feeds import "$work/feeds.opml"
        run_timed "cold-$features-$rep" "$BIN" --config "$cfg" poll --all
        # Wall time: the pass summary is printed before the store closes,
        # and closing writes the index rows still pending (flags on only).
        pass="$SECS"
        echo "== cold, flags and clusters $features (rep $rep): $pass s wall"
        if [[ $features == on ]]; then
            best_on="$(awk -v a="$best_on" -v b="$pass" 'BEGIN { print (a == "" || b < a) ? b : a }')"
        else
            best_off="$(awk -v a="$best_off" -v b="$pass" 'BEGIN { print (a == "" || b < a) ? b : a }')"
        fi
        rm -f "$work/$features-$rep.db"*
    done
done

verdict() { # verdict VALUE OP LIMIT -> met/MISSED
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
        ok = (op == ">=") ? (v >= l) : (v <= l); print (ok ? "met" : "MISSED") }'
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }'; }

cold_rate="$(rate "$items" "$cold_secs")"
cold_pass_rate="$(rate "$items" "$cold_pass")"
max_rss="$(awk -v a="$cold_rss" -v b="$warm_rss" 'BEGIN { print (a + 0 > b + 0) ? a : b }')"

echo
echo "== results: $COUNT feeds, $CONCURRENCY fetches in flight, $(nproc) cores"
printf '%-28s %9s %9s %11s %9s\n' "run" "wall s" "pass s" "items/s" "peak MB"
printf '%-28s %9s %9s %11s %9s\n' "bare HTTP, full bodies" "$bare_full" "-" \
    "$(rate "$((COUNT * 30))" "$bare_full")" "$bare_rss"
printf '%-28s %9s %9s %11s %9s\n' "bare HTTP, conditional" "$bare_cond" "-" "-" "(same)"
printf '%-28s %9s %9s %11s %9s\n' "poll --all, cold ($items items)" "$cold_secs" "$cold_pass" \
    "$cold_rate" "$cold_rss"
printf '%-28s %9s %9s %11s %9s\n' "poll --all, warm (304s)" "$warm_secs" "$warm_pass" "-" "$warm_rss"
echo
echo "cold poll pass = $(ratio "$cold_pass" "$bare_full")x the bare download;" \
    "warm poll pass = $(ratio "$warm_pass" "$bare_cond")x the bare conditional pass"
kept="$(awk -v on="$best_on" -v off="$best_off" 'BEGIN { printf "%.2f", (on > 0) ? off / on : 0 }')"
printf '%-28s %9s %9s %11s %9s\n' "cold, flags+clusters on" "$best_on" "-" \
    "$(rate "$items" "$best_on")" "-"
printf '%-28s %9s %9s %11s %9s\n' "cold, flags+clusters off" "$best_off" "-" \
    "$(rate "$items" "$best_off")" "-"
echo "(best wall time of $REPS each, alternating)"
echo
echo "target cold >= 20000 items/s: $(verdict "$cold_rate" ">=" 20000) ($cold_rate wall, $cold_pass_rate pass)"
echo "target warm <= 0.3 s:        $(verdict "$warm_pass" "<=" 0.3) ($warm_pass pass, $warm_secs wall)"
echo "target peak RSS <= 150 MB:   $(verdict "$max_rss" "<=" 150) ($max_rss MB)"
echo "target flags+clusters keep >= 0.75 of the throughput: $(verdict "$kept" ">=" 0.75) ($kept)"
