#!/usr/bin/env bash
# cluster.sh measures issue 14's load on this machine: USERS users (1 000)
# over 3 chatserver nodes sharing their rooms through a 3-server NATS
# JetStream cluster, SENDERS senders (10) at RATE lines a second (5) each
# for DURATION (10s), beside the same load on a single node without NATS,
# one after the other in the same run. Everything listens on 127.0.0.1,
# ports BASE (21500) to BASE+59; every process is stopped by its PID at the
# end, and the temp folder removed (KEEP=1 keeps it, with the logs).
#
#   bash cmd/chatserver/bench/cluster.sh            # from the repo root
#   USERS=300 DURATION=5s bash cmd/chatserver/bench/cluster.sh
#
# Each run prints bench's text: delivered/expected (exactly once), the
# order check, p50/p99/max latency overall and per node, and server CPU µs
# per delivery. The single node's --server-pid is its process; the
# cluster's is the three chatserver nodes and the three NATS servers added
# up (the whole cluster's cost per delivery); the script prints each
# process's own CPU seconds over the cluster run as well. The latency the
# NATS hop adds is the cluster's p50 (p99) minus the single node's.
#
# It needs chatserver serve --nats URLS --node-name NAME (the "ops" slice).
set -euo pipefail

BASE=${BASE:-21500}
USERS=${USERS:-1000}
SENDERS=${SENDERS:-10}
RATE=${RATE:-5}
DURATION=${DURATION:-10s}

cd "$(dirname "$0")/../../.."
DIR=$(mktemp -d /tmp/chatbench-XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "kept $DIR"
	else
		rm -rf "$DIR"
	fi
}
trap cleanup EXIT

go build -o "$DIR/chatserver" ./cmd/chatserver
go build -o "$DIR/nats-server" github.com/nats-io/nats-server/v2
if ! "$DIR/chatserver" serve --help | grep -q -- '--node-name'; then
	echo "chatserver serve has no --nats/--node-name yet: the cluster cannot be started" >&2
	exit 2
fi

# waitURL URL PID LOG polls URL until it answers 200, for 60 s, and gives
# up early, showing the end of LOG, if process PID has ended.
waitURL() {
	for _ in $(seq 600); do
		if curl -sf -o /dev/null "$1"; then
			return 0
		fi
		if ! kill -0 "$2" 2>/dev/null; then
			echo "process $2 ended before $1 answered:" >&2
			tail -5 "$3" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "no answer from $1 within 60s" >&2
	exit 1
}

# serve starts a chatserver node: serve NAME TELNET_PORT SSH_PORT METRICS_PORT [serve flags...]
# and sets PID to its process id.
serve() {
	local name=$1 telnet=$2 ssh=$3 metrics=$4
	shift 4
	"$DIR/chatserver" serve --data-dir "$DIR/$name" \
		--telnet-addr "127.0.0.1:$telnet" --ssh-addr "127.0.0.1:$ssh" --metrics-addr "127.0.0.1:$metrics" \
		--flood-rate 0 --max-conns-per-ip 100000 --rooms-per-hour 0 --plugins "" \
		"$@" >"$DIR/$name.log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	waitURL "http://127.0.0.1:$metrics/readyz" "$PID" "$DIR/$name.log"
}

# natsMsgs prints the messages the three NATS servers have received and
# sent, added up over them ("IN OUT"), from their monitoring port's /varz:
# client, route and JetStream traffic alike.
natsMsgs() {
	local in=0 out=0 varz
	for i in 0 1 2; do
		varz=$(curl -sf "http://127.0.0.1:$((BASE + 20 + i))/varz")
		in=$((in + $(grep -o '"in_msgs": *[0-9]*' <<<"$varz" | grep -o '[0-9]*$')))
		out=$((out + $(grep -o '"out_msgs": *[0-9]*' <<<"$varz" | grep -o '[0-9]*$')))
	done
	echo "$in $out"
}

# cpu prints the user+system CPU seconds process $1 has used.
cpu() {
	awk '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$1/stat"
}

bench() {
	"$DIR/chatserver" bench --users "$USERS" --senders "$SENDERS" --rate "$RATE" --duration "$DURATION" \
		--no-progress "$@"
}

echo "== single node: $USERS users, $SENDERS senders x $RATE lines/s, $DURATION"
serve single $((BASE + 50)) $((BASE + 51)) $((BASE + 52))
SINGLE=$PID
bench --addr "127.0.0.1:$((BASE + 50))" --server-pid "$SINGLE" || echo "(bench exited $?)"
kill "$SINGLE"
wait "$SINGLE" || true
PIDS=()

# NATS: client ports BASE..BASE+2, routes BASE+10.., monitoring BASE+20..
ROUTES="nats://127.0.0.1:$((BASE + 10)),nats://127.0.0.1:$((BASE + 11)),nats://127.0.0.1:$((BASE + 12))"
NATS_URLS="nats://127.0.0.1:$BASE,nats://127.0.0.1:$((BASE + 1)),nats://127.0.0.1:$((BASE + 2))"
NATS_PIDS=()
for i in 0 1 2; do
	"$DIR/nats-server" -a 127.0.0.1 -p $((BASE + i)) -n "nats$i" -m $((BASE + 20 + i)) \
		-js -sd "$DIR/nats$i" --cluster_name chat --cluster "nats://127.0.0.1:$((BASE + 10 + i))" --routes "$ROUTES" \
		>"$DIR/nats$i.log" 2>&1 &
	NATS_PIDS+=($!)
	PIDS+=($!)
done
for i in 0 1 2; do
	waitURL "http://127.0.0.1:$((BASE + 20 + i))/healthz" "${NATS_PIDS[$i]}" "$DIR/nats$i.log"
done

# chatserver nodes: telnet BASE+30.., SSH BASE+40.., metrics BASE+33..
NODE_PIDS=()
ADDRS=()
for i in 0 1 2; do
	serve "node$i" $((BASE + 30 + i)) $((BASE + 40 + i)) $((BASE + 33 + i)) --nats "$NATS_URLS" --node-name "node$i"
	NODE_PIDS+=("$PID")
	ADDRS+=("127.0.0.1:$((BASE + 30 + i))")
done

echo
echo "== 3 nodes: $USERS users, $SENDERS senders x $RATE lines/s, $DURATION"
ALL=("${NODE_PIDS[@]}" "${NATS_PIDS[@]}")
declare -A BEFORE
for pid in "${ALL[@]}"; do
	BEFORE[$pid]=$(cpu "$pid")
done
MSGS_BEFORE=$(natsMsgs)
bench --addr "$(IFS=,; echo "${ADDRS[*]}")" --server-pid "$(IFS=,; echo "${ALL[*]}")" || echo "(bench exited $?)"
for pid in "${NODE_PIDS[@]}"; do
	echo "chatserver $pid: $(awk -v a="${BEFORE[$pid]}" -v b="$(cpu "$pid")" 'BEGIN { printf "%.2f", b - a }')s CPU over the run (logins included)"
done
for pid in "${NATS_PIDS[@]}"; do
	echo "nats-server $pid: $(awk -v a="${BEFORE[$pid]}" -v b="$(cpu "$pid")" 'BEGIN { printf "%.2f", b - a }')s CPU over the run (logins included)"
done
read -r IN0 OUT0 <<<"$MSGS_BEFORE"
read -r IN1 OUT1 <<<"$(natsMsgs)"
LINES=$(awk -v s="$SENDERS" -v r="$RATE" -v d="${DURATION%s}" 'BEGIN { printf "%d", s * r * d }')
echo "nats messages over the run (3 servers, routes and JetStream included): $((IN1 - IN0)) in, $((OUT1 - OUT0)) out;" \
	"$(awk -v i=$((IN1 - IN0)) -v o=$((OUT1 - OUT0)) -v l="$LINES" 'BEGIN { printf "%.1f in and %.1f out per line said (%d lines)", i / l, o / l, l }'), for $USERS members"
