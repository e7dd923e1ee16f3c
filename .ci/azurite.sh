#!/usr/bin/env bash
# .ci/azurite.sh — a pinned, repo-local Azurite (Azure Storage emulator) for the
# azureblob conformance tests.
#
#   .ci/azurite.sh install   install azurite@$AZURITE_VERSION into .cache/azurite
#                            (idempotent: does nothing when that version is there)
#   .ci/azurite.sh path      print the azurite-blob executable's path
#   .ci/azurite.sh large     install, then run the azureblob conformance suite's
#                            1 GiB streaming put on Azurite, printing its peak heap
#                            (about 30-90 s; `go test ./...` runs it at 256 MiB)
#
# The tests in pkg/blob/azureblob start and stop their own azurite-blob on a
# free loopback port (in-memory, nothing on disk); set DUMPFLOW_TEST_AZURITE to
# a connection string to use an already-running instance instead.
set -euo pipefail

AZURITE_VERSION=3.37.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.cache/azurite"
bin="$dir/node_modules/.bin/azurite-blob"

installed_version() {
	local pkg="$dir/node_modules/azurite/package.json"
	[[ -f "$pkg" ]] || return 0
	node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg"
}

case "${1:-}" in
install)
	if [[ -x "$bin" && "$(installed_version)" == "$AZURITE_VERSION" ]]; then
		echo "azurite $AZURITE_VERSION already installed: $bin"
		exit 0
	fi
	command -v npm >/dev/null || { echo "azurite.sh: npm not found (install Node.js >= 18)" >&2; exit 1; }
	mkdir -p "$dir"
	[[ -f "$dir/package.json" ]] || echo '{"name":"dumpflow-azurite","private":true}' >"$dir/package.json"
	npm install --prefix "$dir" --no-audit --no-fund --save-exact "azurite@$AZURITE_VERSION"
	[[ -x "$bin" ]] || { echo "azurite.sh: $bin missing after install" >&2; exit 1; }
	echo "azurite $AZURITE_VERSION installed: $bin"
	;;
path)
	echo "$bin"
	;;
large)
	"$0" install
	cd "$root"
	CI=true DUMPFLOW_TEST_LARGE_BLOB=1 go test -count=1 -v \
		-run 'TestConformance/Parallel/Others/LargeStreamingPut' ./pkg/blob/azureblob/
	;;
*)
	echo "usage: $0 install|path|large" >&2
	exit 2
	;;
esac
