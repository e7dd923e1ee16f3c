package ingest

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

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
		Requests: prometheus.NewCounterVec(metricOpts("requests_total", "API requests by route and HTTP status code."), []string{"route", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "dumpflow", Subsystem: "ingest", Name: "request_duration_seconds",
			Help:    "API request handling time by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"route"}),
		Events: prometheus.NewCounterVec(metricOpts("alert_events_total", "Alert events by source and outcome (accepted, duplicate, skipped, refused)."), []string{"source", "outcome"}),
		Jobs:   prometheus.NewCounter(metricOpts("jobs_sent_total", "CaptureJobs sent to the captures queue.")),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Duration, m.Events, m.Jobs)
	}
	return m
}

// metricOpts names an ingest metric: dumpflow_ingest_<name>.
func metricOpts(name, help string) prometheus.CounterOpts {
	return prometheus.CounterOpts{Namespace: "dumpflow", Subsystem: "ingest", Name: name, Help: help}
}

// routeMetrics are one route's children of Requests and Duration, looked
// up once: a Vec's WithLabelValues hashes its labels on every call.
type routeMetrics struct {
	route    string
	vec      *prometheus.CounterVec
	duration prometheus.Observer
	// requests maps an HTTP status (int) to its prometheus.Counter; the
	// statuses ingest answers are a small fixed set.
	requests sync.Map
}

func newRouteMetrics(m *Metrics, route string) *routeMetrics {
	return &routeMetrics{route: route, vec: m.Requests, duration: m.Duration.WithLabelValues(route)}
}

// observe counts one request answered with status after d.
func (rm *routeMetrics) observe(status int, d time.Duration) {
	c, ok := rm.requests.Load(status)
	if !ok {
		c, _ = rm.requests.LoadOrStore(status, rm.vec.WithLabelValues(rm.route, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	rm.duration.Observe(d.Seconds())
}
