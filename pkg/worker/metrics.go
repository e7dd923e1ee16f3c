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
		Dumps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "dumps_total",
			Help: "Dump targets by outcome.",
		}, []string{"outcome"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "dump_bytes_total",
			Help: "Dump bytes streamed from Kudu, by outcome.",
		}, []string{"outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "dump_duration_seconds",
			Help:    "Time to take and store one dump, all attempts, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 12),
		}, []string{"outcome"}),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "dump_retries_total",
			Help: "Dump attempts after the first.",
		}),
		Kills: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "kills_total",
			Help: "Collect-kills by result (done, denied, failed).",
		}, []string{"result"}),
		LockWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "lock_wait_seconds",
			Help:    "Time waiting for a site's dump slot, by strategy.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"strategy"}),
		LeaseLost: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "site_lease_lost_total",
			Help: "Site lock renewals that found the lease lost.",
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "dumps_in_flight",
			Help: "Dumps streaming now.",
		}),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "worker", Name: "jobs_total",
			Help: "Capture jobs by result (completed, interrupted, invalid, error).",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.Dumps, m.Bytes, m.Duration, m.Retries, m.Kills, m.LockWait, m.LeaseLost, m.InFlight, m.Jobs)
	}
	return m
}
