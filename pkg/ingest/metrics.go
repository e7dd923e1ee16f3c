package ingest

import "github.com/prometheus/client_golang/prometheus"

// Metrics are ingest's Prometheus metrics. Create them with NewMetrics; a
// Service without metrics uses an unregistered set.
type Metrics struct {
	// Requests counts API requests by route and status code.
	Requests *prometheus.CounterVec
	// Duration observes request handling time by route.
	Duration *prometheus.HistogramVec
	// Events counts alert events by source and outcome (accepted,
	// duplicate, skipped, refused).
	Events *prometheus.CounterVec
	// Jobs counts CaptureJobs sent (re-sends of duplicates included).
	Jobs prometheus.Counter
}

// NewMetrics creates ingest's metrics and registers them with reg when reg
// is not nil (registration errors panic, as with MustRegister).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "ingest", Name: "requests_total",
			Help: "API requests by route and HTTP status code.",
		}, []string{"route", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "dumpflow", Subsystem: "ingest", Name: "request_duration_seconds",
			Help:    "API request handling time by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"route"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "ingest", Name: "alert_events_total",
			Help: "Alert events by source and outcome (accepted, duplicate, skipped, refused).",
		}, []string{"source", "outcome"}),
		Jobs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "dumpflow", Subsystem: "ingest", Name: "jobs_sent_total",
			Help: "CaptureJobs sent to the captures queue.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Duration, m.Events, m.Jobs)
	}
	return m
}
