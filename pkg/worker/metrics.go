package worker

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the worker's Prometheus metrics. Create them with NewMetrics;
// an Engine without metrics uses an unregistered set.
type Metrics struct {
	// Dumps counts targets by outcome: captured, existing (already
	// committed, not dumped again), failed, skipped, interrupted.
	Dumps *prometheus.CounterVec
	// Bytes counts dump bytes streamed, by outcome (captured, failed).
	Bytes *prometheus.CounterVec
	// Duration observes the time of one target's dump (all attempts, lock
	// wait excluded), by outcome.
	Duration *prometheus.HistogramVec
	// Retries counts dump attempts after the first.
	Retries prometheus.Counter
	// Kills counts collect-kills by result: done, denied, failed.
	Kills *prometheus.CounterVec
	// LockWait observes the time spent waiting for a site's dump slot, by
	// strategy.
	LockWait *prometheus.HistogramVec
	// LeaseLost counts site lock renewals that found the lease lost.
	LeaseLost prometheus.Counter
	// InFlight is the number of dumps streaming now.
	InFlight prometheus.Gauge
	// Jobs counts jobs by result: completed, interrupted, invalid.
	Jobs *prometheus.CounterVec
}

// NewMetrics creates the worker's metrics and registers them with reg when
// reg is not nil (registration errors panic, as with MustRegister).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Dumps:     prometheus.NewCounterVec(metricOpts("dumps_total", "Dump targets by outcome."), []string{"outcome"}),
		Bytes:     prometheus.NewCounterVec(metricOpts("dump_bytes_total", "Dump bytes streamed from Kudu, by outcome."), []string{"outcome"}),
		Retries:   prometheus.NewCounter(metricOpts("dump_retries_total", "Dump attempts after the first.")),
		Kills:     prometheus.NewCounterVec(metricOpts("kills_total", "Collect-kills by result (done, denied, failed)."), []string{"result"}),
		LeaseLost: prometheus.NewCounter(metricOpts("site_lease_lost_total", "Site lock renewals that found the lease lost.")),
		InFlight:  prometheus.NewGauge(prometheus.GaugeOpts(metricOpts("dumps_in_flight", "Dumps streaming now."))),
		Jobs:      prometheus.NewCounterVec(metricOpts("jobs_total", "Capture jobs by result (completed, interrupted, invalid, error)."), []string{"result"}),
		Duration: prometheus.NewHistogramVec(histogramOpts("dump_duration_seconds", "Time to take and store one dump, all attempts, by outcome.",
			prometheus.ExponentialBuckets(0.5, 2, 12)), []string{"outcome"}),
		LockWait: prometheus.NewHistogramVec(histogramOpts("lock_wait_seconds", "Time waiting for a site's dump slot, by strategy.",
			prometheus.ExponentialBuckets(0.01, 4, 10)), []string{"strategy"}),
	}
	if reg != nil {
		reg.MustRegister(m.Dumps, m.Bytes, m.Duration, m.Retries, m.Kills, m.LockWait, m.LeaseLost, m.InFlight, m.Jobs)
	}
	return m
}

// metricOpts names a worker metric: dumpflow_worker_<name>.
func metricOpts(name, help string) prometheus.CounterOpts {
	return prometheus.CounterOpts{Namespace: "dumpflow", Subsystem: "worker", Name: name, Help: help}
}

// histogramOpts names a worker histogram with its buckets.
func histogramOpts(name, help string, buckets []float64) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{Namespace: "dumpflow", Subsystem: "worker", Name: name, Help: help, Buckets: buckets}
}
