//go:build race

package e2e

// raceEnabled builds the services with the race detector when the tests
// run with it, so their cache is shared with `go test -race` and races in
// the services fail the run too.
const raceEnabled = true
