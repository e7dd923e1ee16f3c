package autoheal

import "time"

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
)
