#!/usr/bin/env bash
# run.sh: the ingest load figures of issue 15, measured with the outside
# load generator vegeta against the real `ingest serve` binary on the
# embedded backends (file:// queue and blobs, data on the disk).
#
#   test/bench/vegeta/run.sh                 # build ./cmd/ingest from this tree and measure it
#   INGEST=/path/to/ingest test/bench/vegeta/run.sh   # measure another build (e.g. an older commit)
#
# Two phases, each on a fresh data directory and a freshly started server
# warmed up with 1,000 alerts (not counted):
#   open:   RATE alerts/s (default 1000) for DURATION (default 10s), every
#           alert distinct; goal: all 202, p99 <= 20 ms.
#   closed: CONNS connections (default 32) posting back to back for
#           CLOSED_DURATION (default 10s); goal: >= 2,000 accepted/s.
# Environment: INGEST, VEGETA (default: vegeta on PATH, else installed
# from the Go module proxy into the work directory), FIXTURE, DATA_ROOT
# (where data directories go, default $TMPDIR or /tmp: must be a disk,
# not tmpfs), PORT (default 18080), KEEP=1 keeps the work directory.
# The reports (text and JSON) are in the work directory printed at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
RATE=${RATE:-1000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
CLOSED_DURATION=${CLOSED_DURATION:-10s}
PORT=${PORT:-18080}
FIXTURE=${FIXTURE:-$root/../shared/fixtures/alerts/azure-common/metric-multiresource-resolved-appservice-runbook-capture.json}
DATA_ROOT=${DATA_ROOT:-${TMPDIR:-/tmp}}
TOKEN=vegeta-bench-webhook-token-0123456789

if [[ ! -f $FIXTURE ]]; then
	echo "run.sh: alert fixture $FIXTURE not found (set FIXTURE to an Azure Monitor common-schema alert on an App Service app)" >&2
	exit 1
fi
if [[ $(stat -f -c %T "$DATA_ROOT") == tmpfs ]]; then
	echo "run.sh: $DATA_ROOT is tmpfs; set DATA_ROOT to a directory on a disk" >&2
	exit 1
fi
work=$(mktemp -d "$DATA_ROOT/ingest-vegeta-XXXXXX")
server=
cleanup() {
	if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	if [[ ${KEEP:-} != 1 ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT

if [[ -z ${INGEST:-} ]]; then
	go build -o "$work/ingest" ./cmd/ingest
	INGEST=$work/ingest
fi
go build -o "$work/vegeta-targets" ./test/bench/vegeta
VEGETA=${VEGETA:-$(command -v vegeta || true)}
if [[ -z $VEGETA ]]; then
	GOBIN=$work/bin go install github.com/tsenart/vegeta/v12@v12.13.0
	VEGETA=$work/bin/vegeta
fi

sub=$(grep -o '/subscriptions/[0-9a-fA-F-]*/resourcegroups/' "$FIXTURE" | head -1 | cut -d/ -f3)
cat >"$work/config.json" <<JSON
{"production": true, "allow": {"subscriptions": ["$sub"]}, "policies": [{"name": "all", "action": "analyze"}]}
JSON
url=http://127.0.0.1:$PORT/v1/alerts

# targets FILE FIRST COUNT: COUNT distinct alerts numbered from FIRST.
targets() {
	"$work/vegeta-targets" --fixture "$FIXTURE" --url "$url" --token "$TOKEN" --first "$2" --count "$3" >"$1"
}

# start NAME: a fresh data directory and server.
start() {
	local data=$work/data-$1
	mkdir -p "$data"
	# The token through the environment, which every build reads (newer
	# builds deprecate --webhook-token).
	DUMPFLOW_WEBHOOK_TOKEN=$TOKEN "$INGEST" serve --listen "127.0.0.1:$PORT" --config "$work/config.json" \
		--queue "file://$data/queue" --blob "file://$data/blobs" \
		--rate -1 --schedules=false --arm-auth=false --arm-url http://127.0.0.1:9 --log-level warn \
		2>"$work/ingest-$1.log" &
	server=$!
	for _ in $(seq 100); do
		if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	echo "run.sh: ingest did not become ready; its log:" >&2
	cat "$work/ingest-$1.log" >&2
	exit 1
}

# cpu_ticks: the server's user+system CPU time so far, in clock ticks.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$server/stat"
}

stop() {
	kill "$server"
	wait "$server" || true
	server=
}

# warm NAME FIRST: 1,000 alerts, closed loop, not counted.
warm() {
	targets "$work/warm-$1.json" "$2" 1000
	"$VEGETA" attack -format=json -lazy -targets="$work/warm-$1.json" -rate=0 -max-workers="$CONNS" -workers="$CONNS" \
		-duration=0 -max-body=0 -name=warm >/dev/null
}

# report NAME CPU_TICKS: vegeta's report, then one summary line with the
# server's CPU time per request (a figure that holds on a busy machine,
# where latencies do not).
report() {
	"$VEGETA" report -type=text "$work/$1.bin" | tee "$work/$1.txt"
	"$VEGETA" report -type=json "$work/$1.bin" >"$work/$1.json"
	local cpu
	cpu=$(jq -r --argjson t "$2" --argjson hz "$(getconf CLK_TCK)" '$t * 1000 / $hz / .requests * 1000 | floor / 1000' "$work/$1.json")
	echo "$1: $(jq -r '"\(.requests) requests, \(.throughput|floor)/s answered 2xx, p50 \(.latencies["50th"]/1e6*100|floor/100) ms, p99 \(.latencies["99th"]/1e6*100|floor/100) ms, max \(.latencies.max/1e6*100|floor/100) ms, status \(.status_codes)"' "$work/$1.json"), server CPU $cpu ms/alert"
}

dur_s=${DURATION%s}
echo "== open loop: $RATE alerts/s for $DURATION, distinct alerts ($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
targets "$work/open.json" 0 $((RATE * ${dur_s%.*}))
start open
warm open 5000000
c0=$(cpu_ticks)
"$VEGETA" attack -format=json -targets="$work/open.json" -rate="$RATE" -duration="$DURATION" -max-body=0 \
	-name=open >"$work/open.bin"
c1=$(cpu_ticks)
stop
report open $((c1 - c0))

cd_s=${CLOSED_DURATION%s}
echo "== closed loop: $CONNS connections for $CLOSED_DURATION ($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
# Enough distinct alerts for 15,000/s, read lazily; the attack ends early
# (and the report says so) if the server takes them all sooner.
targets "$work/closed.json" 1000000 $((15000 * ${cd_s%.*}))
start closed
warm closed 6000000
c0=$(cpu_ticks)
"$VEGETA" attack -format=json -targets="$work/closed.json" -rate=0 -max-workers="$CONNS" -workers="$CONNS" \
	-duration="$CLOSED_DURATION" -max-body=0 -name=closed >"$work/closed.bin"
c1=$(cpu_ticks)
stop
report closed $((c1 - c0))
echo "reports in $work (KEEP=1 keeps them)"
