package autoheal

import (
	"log/slog"
	"time"
)

// Defaults of the runner and its sources: the zero value of each field
// named below means its constant, and `ingest serve`'s rule flags show the
// same constants.
const (
	// DefaultEvaluateInterval is Runner.Interval's default.
	DefaultEvaluateInterval = 10 * time.Second
	// DefaultMemoryPoll is MemoryWatch.Interval's default.
	DefaultMemoryPoll = 30 * time.Second
	// DefaultReadConcurrency is MemoryWatch.Concurrency's and
	// CPUWatch.Concurrency's default.
	DefaultReadConcurrency = 8
	// DefaultMetricsInterval is Metrics.Interval's default (the metrics'
	// grain).
	DefaultMetricsInterval = time.Minute
	// DefaultMetricsLookback is Metrics.Lookback's default.
	DefaultMetricsLookback = 5 * time.Minute
	// DefaultWebLogPoll is WebLogs.Interval's default.
	DefaultWebLogPoll = 10 * time.Second
	// DefaultWebLogMaxRead is WebLogs.MaxRead's default (bytes per file
	// and poll).
	DefaultWebLogMaxRead = 4 << 20
	// DefaultWebLogFresh is WebLogs.Fresh's default.
	DefaultWebLogFresh = 5 * time.Minute
	// DefaultWebLogKeep is WebLogs.Keep's default.
	DefaultWebLogKeep = 10 * time.Minute
	// DefaultWebLogMaxPending is WebLogs.MaxPending's default.
	DefaultWebLogMaxPending = 10000
)

// discardLog receives the logs of a runner or source without a Log.
var discardLog = slog.New(slog.DiscardHandler)

// clock is now, or time.Now when now is nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
