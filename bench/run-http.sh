#!/usr/bin/env bash
# HTTP load benchmark: GET /admin/api/customer-users/{id} through the demo
# server (examples/server) on PostgreSQL, loaded from a second process
# (bench/httpload) over loopback, against `pgbench -S` (select-only) at the
# same concurrency and duration, in the same run. See BENCHMARKS.md.
#
#   bench/run-http.sh
#
# Environment (all optional):
#   BENCH_PGHOST, BENCH_PGPORT, BENCH_PGUSER  PostgreSQL server (127.0.0.1, 5432, postgres;
#                  PGPASSWORD is honoured); the user must be able to create databases
#   DURATION=20    seconds of each measured phase
#   ROUNDS=3       rounds; each round runs pgbench, then HTTP, at each concurrency
#   CONNS="4 16"   concurrencies (HTTP connections = pgbench clients)
#   USERS=10000    customer users that inherit their customer's sales representatives (the
#                  usual case; a GET reads the user and its customer's representatives in
#                  one statement, customeruser.UserViewReader)
#   OWN_USERS=1000 customer users with sales representatives of their own (the same single
#                  statement: both kinds should cost the same), loaded in an extra phase at
#                  the first concurrency (0: none), next to a phase over as many inheriting
#                  users (kind inh-sub, the first OWN_USERS of the shuffled ids) so that both
#                  read working sets of the same size; the two run in alternating order
#   SERVER_GOMAXPROCS   GOMAXPROCS of the demo server (default: Go's, the number of cores)
#   SERVER2_GOMAXPROCS  start a second demo server on the same database with this GOMAXPROCS
#                  and load it in an extra phase at the first concurrency (default: none)
#   GEN_GOMAXPROCS GOMAXPROCS of the load generator (default: Go's)
#   SCALE=10       pgbench scale (10 = 1,000,000 accounts)
#   WARMUP=5       seconds of warm-up of each side before the first round
#   OUT=dir        keep the raw results there (default: a temporary directory, removed)
#   PERF=1         after the rounds, count system calls and context switches per operation
#                  (perf stat) of both sides at the first concurrency, and record a
#                  system-wide profile of one HTTP phase (perf script output kept in OUT)
#   PPROF=1        start the demo server with -pprof on a free loopback port and, after the
#                  rounds, take a CPU profile of the server (net/http/pprof) during one more
#                  HTTP phase at the first concurrency; prints its top functions (go tool
#                  pprof -top) and keeps server-cpu.pprof and the binary in OUT
#
# The demo server runs with -log-level info: successful GETs are not logged (they log at
# debug), so the measured phases write no request log.
# It creates the databases cu_bench_http and cu_bench_pgbench, builds and starts the demo
# server on 127.0.0.1 (a free port) with -dsn, seeds the users with bench/seed, warms up, runs
# the rounds, prints a table, then stops the server(s) and drops both databases. The servers'
# logs go to files in the work directory. The 1-minute load average is sampled at the end of
# every HTTP phase (the load column), and `uptime` is printed before and after. Not part of
# `go test` or CI.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${BENCH_PGHOST:-127.0.0.1}
port=${BENCH_PGPORT:-5432}
user=${BENCH_PGUSER:-postgres}
DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-"4 16"}
USERS=${USERS:-10000}
OWN_USERS=${OWN_USERS:-1000}
SCALE=${SCALE:-10}
WARMUP=${WARMUP:-5}
http_db=cu_bench_http
pgb_db=cu_bench_pgbench

dsn() { echo "postgres://$user@$host:$port/$1?sslmode=disable"; }
sql() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$(dsn "$db")" "$@"; }

if [ -n "${OUT:-}" ]; then
	work=$OUT
	mkdir -p "$work"
else
	work=$(mktemp -d)
fi
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p"
			wait "$p" 2>/dev/null || true
		fi
	done
	sql postgres -c "DROP DATABASE IF EXISTS $http_db WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS $pgb_db WITH (FORCE)" || true
	rm -f "$work"/server*.log "$work"/pgblog* "$work/perf.data"
	if [ -z "${OUT:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

for tool in go psql pgbench pgrep shuf; do
	command -v "$tool" >/dev/null || { echo "run-http.sh: $tool not found" >&2; exit 1; }
done

echo "== build"
go build -o "$work/server" ./examples/server
go build -o "$work/httpload" ./bench/httpload
go build -o "$work/seed" ./bench/seed

echo "== databases"
sql postgres -c "DROP DATABASE IF EXISTS $http_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $pgb_db WITH (FORCE)" \
	-c "CREATE DATABASE $http_db" -c "CREATE DATABASE $pgb_db"
pgbench -i -q -s "$SCALE" -h "$host" -p "$port" -U "$user" "$pgb_db" >"$work/pgbench-init.log" 2>&1

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# start_server NAME GOMAXPROCS [FLAGS...]: starts a demo server on a free
# port of 127.0.0.1 at log level info; sets srv_pid and srv_addr.
start_server() {
	local log=$work/server-$1.log name=$1 procs=$2
	shift 2
	env ${procs:+GOMAXPROCS=$procs} "$work/server" -addr 127.0.0.1:0 -dsn "$(dsn "$http_db")" -admin-token "$token" \
		-log-level info "$@" >"$log" 2>&1 &
	srv_pid=$!
	pids+=("$srv_pid")
	for _ in $(seq 1 600); do
		grep -q 'msg=listening' "$log" && break
		kill -0 "$srv_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.1
	done
	srv_addr=$(grep -m1 -o 'msg=listening addr=[^ ]*' "$log" | sed 's/.*addr=//')
	[ -n "$srv_addr" ] || { cat "$log" >&2; exit 1; }
	echo "server $name (GOMAXPROCS ${procs:-default}): pid $srv_pid on $srv_addr"
}

echo "== server"
if [ "${PPROF:-}" = 1 ]; then
	start_server main "${SERVER_GOMAXPROCS:-}" -pprof 127.0.0.1:0
	pprof_addr=$(grep -m1 -o 'msg="pprof listening" addr=[^ ]*' "$work/server-main.log" | sed 's/.*addr=//')
	[ -n "$pprof_addr" ] || { cat "$work/server-main.log" >&2; exit 1; }
	echo "pprof on $pprof_addr"
else
	start_server main "${SERVER_GOMAXPROCS:-}"
fi
main_pid=$srv_pid main_addr=$srv_addr
org=$(grep -m1 -o 'Demo organization [0-9a-f-]*' "$work/server-main.log" | awk '{print $3}')
[ -n "$org" ] || { cat "$work/server-main.log" >&2; exit 1; }

echo "== seed $USERS + $OWN_USERS customer users into organization $org"
"$work/seed" -dsn "$(dsn "$http_db")" -org "$org" -users "$USERS" -out "$work/ids.txt"
shuf "$work/ids.txt" -o "$work/ids.txt"
if [ "$OWN_USERS" -gt 0 ]; then
	"$work/seed" -dsn "$(dsn "$http_db")" -org "$org" -users "$OWN_USERS" -own-sales-reps -email-prefix bench.own \
		-out "$work/ids-own.txt"
	shuf "$work/ids-own.txt" -o "$work/ids-own.txt"
	head -n "$OWN_USERS" "$work/ids.txt" >"$work/ids-sub.txt"
fi
sql "$http_db" -c "VACUUM ANALYZE"
sql "$pgb_db" -c "VACUUM ANALYZE"

if [ -n "${SERVER2_GOMAXPROCS:-}" ]; then
	start_server alt "$SERVER2_GOMAXPROCS"
	alt_pid=$srv_pid alt_addr=$srv_addr
fi

# load ADDR ARGS...: the load generator against the server at ADDR.
load() {
	local addr=$1
	shift
	env ${GEN_GOMAXPROCS:+GOMAXPROCS=$GEN_GOMAXPROCS} "$work/httpload" \
		-url "http://$addr/admin/api/customer-users/{id}" -H "Authorization: Bearer $token" "$@"
}
pgb=(env PGDATABASE="$pgb_db" pgbench -S -n -j 2 -h "$host" -p "$port" -U "$user")

# CPU accounting from /proc: machine busy/idle ticks, a process's ticks,
# and the ticks of the PostgreSQL backends serving a database.
clk=$(getconf CLK_TCK)
machine() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
backends() { pgrep -f "^postgres: .* $1 " || true; }
backend_ticks() {
	local files
	files=$(backends "$1" | sed 's|.*|/proc/&/stat|')
	if [ -z "$files" ]; then echo 0; return; fi
	# shellcheck disable=SC2086
	cat $files 2>/dev/null | awk '{t += $14 + $15} END {print t + 0}'
}
field() { grep -o " $1=[0-9.]*" <<<" $2" | head -1 | cut -d= -f2; }

# pgbench_phase C: pgbench -S at C clients; sets tps pg50 pg99.
pgbench_phase() {
	"${pgb[@]}" -c "$1" -T "$DURATION" -l --sampling-rate 0.1 --log-prefix "$work/pgblog" >"$work/pgbench.out" 2>&1
	tps=$(grep -m1 -o 'tps = [0-9.]*' "$work/pgbench.out" | awk '{print $3}')
	[ -n "$tps" ] || { cat "$work/pgbench.out" >&2; exit 1; }
	# Sampled per-transaction latencies (µs, 3rd column) for p50/p99.
	read -r pg50 pg99 < <(cat "$work"/pgblog* | awk '{print $3}' | sort -n |
		awk '{v[NR]=$1} END {print v[int(NR*0.5+0.5)], v[int(NR*0.99+0.5)]}')
	rm -f "$work"/pgblog*
	echo "round=$round conns=$1 pgbench_tps=$tps pgbench_p50_us=$pg50 pgbench_p99_us=$pg99"
}

# http_phase KIND IDS C ADDR PID: the HTTP load at C connections over the
# ids of file IDS against the server ADDR (process PID); appends a row to
# the results.
http_phase() {
	local kind=$1 ids=$2 c=$3 addr=$4 pid=$5 b0 i0 b1 i1 s0 s1 k0 k1 line busy genp srvp pgp
	read -r b0 i0 < <(machine)
	s0=$(ticks "$pid")
	k0=$(backend_ticks "$http_db")
	line=$(load "$addr" -ids "$ids" -c "$c" -d "${DURATION}s" -warmup 1s -label "round=$round kind=$kind")
	read -r b1 i1 < <(machine)
	s1=$(ticks "$pid")
	k1=$(backend_ticks "$http_db")
	echo "$line"
	[ "$(field errors "$line")" = 0 ] || { echo "run-http.sh: errors" >&2; exit 1; }
	# Shares of the machine's capacity (100% = every core busy) during the phase.
	read -r busy genp srvp pgp < <(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v g="$(field cpu_s "$line")" \
		-v s=$((s1 - s0)) -v k=$((k1 - k0)) -v clk="$clk" 'BEGIN{t=(b+i)/clk; printf "%.0f %.0f %.0f %.0f\n",
			100*b/(b+i), 100*g/t, 100*s/clk/t, 100*k/clk/t}')
	echo "$round $c $kind $tps $pg50 $pg99 $(field rps "$line") $(field p50_us "$line") $(field p99_us "$line")" \
		"$busy $genp $srvp $pgp $(cut -d' ' -f1 /proc/loadavg)" >>"$results"
}

echo "== warm-up (${WARMUP}s each)"
load "$main_addr" -ids "$work/ids.txt" -c 16 -d "${WARMUP}s" -label warmup
if [ "$OWN_USERS" -gt 0 ]; then load "$main_addr" -ids "$work/ids-own.txt" -c 4 -d "${WARMUP}s" -label warmup-own; fi
if [ -n "${alt_addr:-}" ]; then load "$alt_addr" -ids "$work/ids.txt" -c 4 -d "${WARMUP}s" -label warmup-alt; fi
"${pgb[@]}" -c 4 -T "$WARMUP" >/dev/null 2>&1

results=$work/results.txt
: >"$results"
first=${CONNS%% *}
uptime_before=$(uptime)
echo "== $ROUNDS rounds of ${DURATION}s phases at connections: $CONNS; uptime: $uptime_before"
for round in $(seq 1 "$ROUNDS"); do
	for c in $CONNS; do
		pgbench_phase "$c"
		http_phase inherit "$work/ids.txt" "$c" "$main_addr" "$main_pid"
		if [ "$c" = "$first" ] && [ "$OWN_USERS" -gt 0 ]; then
			if [ $((round % 2)) = 1 ]; then
				http_phase own "$work/ids-own.txt" "$c" "$main_addr" "$main_pid"
				http_phase inh-sub "$work/ids-sub.txt" "$c" "$main_addr" "$main_pid"
			else
				http_phase inh-sub "$work/ids-sub.txt" "$c" "$main_addr" "$main_pid"
				http_phase own "$work/ids-own.txt" "$c" "$main_addr" "$main_pid"
			fi
		fi
		if [ "$c" = "$first" ] && [ -n "${alt_addr:-}" ]; then
			http_phase "gmp$SERVER2_GOMAXPROCS" "$work/ids.txt" "$c" "$alt_addr" "$alt_pid"
		fi
	done
done

uptime_after=$(uptime)

if [ -n "${pprof_addr:-}" ]; then
	echo "== pprof: CPU profile of the server during one HTTP phase at $first connections"
	load "$main_addr" -ids "$work/ids.txt" -c "$first" -d "${DURATION}s" -label pprof &
	load_pid=$!
	sleep 2
	curl -sf -o "$work/server-cpu.pprof" "http://$pprof_addr/debug/pprof/profile?seconds=$((DURATION - 4))"
	wait "$load_pid"
	go tool pprof -top -nodecount=30 "$work/server" "$work/server-cpu.pprof" 2>/dev/null | tee "$work/pprof-top.txt" | head -40
	go tool pprof -top -cum -nodecount=60 "$work/server" "$work/server-cpu.pprof" >"$work/pprof-top-cum.txt" 2>/dev/null || true
	echo "(profile in $work/server-cpu.pprof, cumulative view in $work/pprof-top-cum.txt)"
fi

if [ "${PERF:-}" = 1 ] && command -v perf >/dev/null; then
	echo "== perf at $first connections"
	counted=$((DURATION - 4))
	# count PIDS...: system calls and context switches of PIDS over $counted seconds.
	count() {
		perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "$(tr ' ' ',' <<<"$*")" -- sleep "$counted" 2>&1 |
			awk -F, '/raw_syscalls/{s=$1} /context-switches/{c=$1} END{print s+0, c+0}'
	}
	"${pgb[@]}" -c "$first" -T "$DURATION" >"$work/pgbench.out" 2>&1 &
	bench_pid=$!
	sleep 2
	read -r sys cs < <(count $(pgrep -P "$bench_pid" pgbench || echo "$bench_pid") $(backends "$pgb_db"))
	wait "$bench_pid"
	tps=$(grep -m1 -o 'tps = [0-9.]*' "$work/pgbench.out" | awk '{print $3}')
	awk -v s="$sys" -v c="$cs" -v r="$tps" -v d="$counted" 'BEGIN{printf "pgbench -S: %.0f tps, per transaction: %.1f system calls, %.1f context switches (pgbench + its backends)\n", r, s/d/r, c/d/r}' | tee "$work/perf-counts.txt"
	load "$main_addr" -ids "$work/ids.txt" -c "$first" -d "${DURATION}s" -label perf-count >"$work/load.out" &
	load_pid=$!
	sleep 2
	read -r sys cs < <(count $(pgrep -P "$load_pid" httpload || echo "$load_pid") "$main_pid" $(backends "$http_db"))
	wait "$load_pid"
	rps=$(field rps "$(cat "$work/load.out")")
	awk -v s="$sys" -v c="$cs" -v r="$rps" -v d="$counted" 'BEGIN{printf "HTTP GET:   %.0f req/s, per request: %.1f system calls, %.1f context switches (generator + server + its backends)\n", r, s/d/r, c/d/r}' | tee -a "$work/perf-counts.txt"

	perf record -a -g -F 999 -o "$work/perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
	perf_pid=$!
	load "$main_addr" -ids "$work/ids.txt" -c "$first" -d "${DURATION}s" -label perf-profile
	wait "$perf_pid" || true
	echo "CPU samples by command during the profiled phase:"
	perf report -i "$work/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -8 | tee "$work/perf-comm.txt" || true
	perf script -i "$work/perf.data" >"$work/perf-script.txt" 2>/dev/null || true
	echo "(perf script output in $work/perf-script.txt)"
fi

echo
echo "== results: GET /admin/api/customer-users/{id}, ${DURATION}s phases, $ROUNDS rounds" \
	"${SERVER_GOMAXPROCS:+(server GOMAXPROCS=$SERVER_GOMAXPROCS)}${GEN_GOMAXPROCS:+ (generator GOMAXPROCS=$GEN_GOMAXPROCS)}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(go version | awk '{print $3}');" \
	"PostgreSQL $(psql -X -At -d "$(dsn postgres)" -c 'show server_version' | cut -d' ' -f1); $(date -u +%Y-%m-%dT%H:%MZ);" \
	"load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "uptime before the rounds: $uptime_before"
echo "uptime after the rounds:  $uptime_after"
echo "1-minute load average at the end of the HTTP phases: $(awk 'NR == 1 || $14 < lo {lo = $14} NR == 1 || $14 > hi {hi = $14} END {print lo "-" hi}' "$results")"
echo "kind: inherit = $USERS users inheriting their customer's sales representatives;"
echo "      own = $OWN_USERS users with sales representatives of their own (both: one statement a GET);"
echo "      inh-sub = the first $OWN_USERS inherit users (a working set the size of own's; own and inh-sub alternate order)"
echo "      gmpN = the inherit users through a second server with GOMAXPROCS=N"
echo
hdr='%5s %5s %-7s %11s %8s %8s %8s %8s %8s %6s %5s %5s %5s %5s %5s\n'
row='%5s %5s %-7s %11.0f %8.0f %8.0f %8.0f %8.0f %8.0f %6.2f %5.0f %5.0f %5.0f %5.0f %5.1f\n'
echo "per round:"
# shellcheck disable=SC2059
printf "$hdr" round conns kind pgbench_tps pg_p50us pg_p99us http_rps p50_us p99_us ratio busy% gen% srv% pg% load
awk -v f="$row" '{printf f, $1, $2, $3, $4, $5, $6, $7, $8, $9, $7/$4, $10, $11, $12, $13, $14}' "$results"
echo
echo "medians over rounds (ratio: median of the per-round ratios HTTP req/s / pgbench TPS):"
# shellcheck disable=SC2059
printf "$hdr" "" conns kind pgbench_tps pg_p50us pg_p99us http_rps p50_us p99_us ratio busy% gen% srv% pg% load
for c in $CONNS; do
	for kind in $(awk -v c="$c" '$2 == c && !seen[$3]++ {print $3}' "$results"); do
		awk -v c="$c" -v kind="$kind" -v f="$row" '
			function median(a, n,   i, j, t) {
				for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
				return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
			}
			$2 == c && $3 == kind { n++; for (k = 4; k <= 14; k++) v[k, n] = $k; r[n] = $7 / $4 }
			END {
				for (k = 4; k <= 14; k++) { for (i = 1; i <= n; i++) a[i] = v[k, i]; m[k] = median(a, n) }
				printf f, "", c, kind, m[4], m[5], m[6], m[7], m[8], m[9], median(r, n), m[10], m[11], m[12], m[13], m[14]
			}' "$results"
	done
done
echo
echo "busy% = machine CPU busy during the HTTP phase (100 = both cores busy); gen% / srv% / pg% = share of the machine"
echo "used by the load generator / the demo server / the PostgreSQL backends of $http_db; load = 1-minute load average"
echo "at the end of the phase. pgbench p50/p99 from a 10% sample."
if [ -n "${OUT:-}" ]; then echo "raw rows: $results"; fi
