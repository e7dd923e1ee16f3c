// Package simtest holds the end-to-end tests of pkg/kudu against the Kudu
// simulator (test/kudusim/sim): both dump strategies, kill and respawn,
// wrong-instance detection, both auth schemes, injected faults and the
// front end's first-byte limit. It has no exported API; it is a separate
// package so the client's own unit tests do not depend on the simulator.
package simtest
