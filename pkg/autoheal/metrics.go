package autoheal

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/azquery"
)

// metricsQuerier is the one call Metrics makes on the Azure SDK.
type metricsQuerier interface {
	QueryResource(ctx context.Context, resourceURI string, options *azquery.MetricsClientQueryResourceOptions) (azquery.MetricsClientQueryResourceResponse, error)
}

var _ metricsQuerier = (*azquery.MetricsClient)(nil)

// App Service metric names (Microsoft.Web/sites).
const (
	metricRequests     = "Requests"
	metricResponseTime = "HttpResponseTime" // seconds, average
)

// statusMetrics maps App Service's status-class metrics to the status code
// that represents the class in observations.
var statusMetrics = map[string]int{"Http2xx": 200, "Http3xx": 300, "Http4xx": 400, "Http5xx": 500}

// Metrics reads request counts, status classes and response time per
// instance from Azure Monitor (one-minute grain, split by the Instance
// dimension) through the Azure SDK's metrics client.
//
// Metrics are aggregates, so rules see them with two approximations,
// stated here because they change what a rule can express:
//   - status classes only: Http5xx becomes status 500, Http4xx 400 and so
//     on, so statusCodesRange triggers work, but statusCodes for an exact
//     code (503) or a sub-status never match metric observations;
//   - the minute's average response time stands for each of its requests,
//     so slow-request triggers fire when a minute's average exceeds
//     timeTaken; paths are unknown, so path-filtered triggers never match.
//
// Per-request triggers need request logs (a later source).
type Metrics struct {
	Client metricsQuerier
	Sites  []string
	// Interval between queries; 0 means DefaultMetricsInterval.
	Interval time.Duration
	// Lookback is how far back each query reads; 0 means DefaultMetricsLookback
	// (metrics arrive with a delay). Buckets already seen are skipped.
	Lookback time.Duration
	Log      *slog.Logger
	Now      func() time.Time
	// Skip, when set, reports whether a site's requests come from a
	// per-request source right now (WebLogs.Active); its metrics are then
	// not observed, so no request is counted twice. Minutes that ended
	// while a site was skipped, or were in progress then, are not observed
	// when it comes back.
	Skip func(site string) bool
}

// NewMetrics returns a metrics source over an azquery client.
func NewMetrics(c *azquery.MetricsClient, sites []string) *Metrics {
	return &Metrics{Client: c, Sites: sites}
}

// Run queries until ctx ends; query errors are logged and retried.
func (m *Metrics) Run(ctx context.Context, obs Observer) error {
	every := cmp.Or(max(m.Interval, 0), DefaultMetricsInterval)
	log := cmp.Or(m.Log, discardLog)
	seen := map[string]time.Time{} // site|instance → last bucket observed
	for {
		m.pollSites(ctx, obs, seen, log)
		if !sleep(ctx, jittered(every)) {
			return nil
		}
	}
}

// pollSites queries every site once, except those Skip hands to another
// source; for those it records the minute in progress, so no bucket up to
// its end is ever observed (the other source saw those requests).
func (m *Metrics) pollSites(ctx context.Context, obs Observer, seen map[string]time.Time, log *slog.Logger) {
	for _, site := range m.Sites {
		if m.Skip != nil && m.Skip(site) {
			// The minute in progress is partly the other source's too.
			seen[site+"|*"] = clock(m.Now)().UTC().Truncate(time.Minute).Add(time.Minute)
			continue
		}
		if err := m.poll(ctx, site, obs, seen); err != nil {
			log.Warn("metrics query failed", "site", site, "err", err)
		}
	}
}

type bucket struct {
	at       time.Time
	requests float64
	classes  map[int]float64
	avgSecs  float64
}

func (m *Metrics) poll(ctx context.Context, site string, obs Observer, seen map[string]time.Time) error {
	now := clock(m.Now)
	look := cmp.Or(max(m.Lookback, 0), DefaultMetricsLookback)
	end := now().UTC().Truncate(time.Minute)
	span := azquery.NewTimeInterval(end.Add(-look), end)
	names := []string{metricRequests, metricResponseTime}
	for n := range statusMetrics {
		names = append(names, n)
	}
	resp, err := m.Client.QueryResource(ctx, site, &azquery.MetricsClientQueryResourceOptions{
		Timespan:    &span,
		Interval:    ptr("PT1M"),
		MetricNames: ptr(strings.Join(names, ",")),
		Aggregation: []*azquery.AggregationType{ptr(azquery.AggregationTypeTotal), ptr(azquery.AggregationTypeAverage)},
		Filter:      ptr("Instance eq '*'"),
	})
	if err != nil {
		return fmt.Errorf("autoheal: metrics of %s: %w", site, err)
	}
	byInst := map[string]map[time.Time]*bucket{}
	for _, metric := range resp.Value {
		if metric == nil || metric.Name == nil || metric.Name.Value == nil {
			continue
		}
		name := *metric.Name.Value
		for _, ts := range metric.TimeSeries {
			inst := instanceOf(ts)
			if inst == "" {
				continue
			}
			if byInst[inst] == nil {
				byInst[inst] = map[time.Time]*bucket{}
			}
			for _, v := range ts.Data {
				if v == nil || v.TimeStamp == nil {
					continue
				}
				b := byInst[inst][*v.TimeStamp]
				if b == nil {
					b = &bucket{at: *v.TimeStamp, classes: map[int]float64{}}
					byInst[inst][*v.TimeStamp] = b
				}
				switch {
				case name == metricRequests && v.Total != nil:
					b.requests = *v.Total
				case name == metricResponseTime && v.Average != nil:
					b.avgSecs = *v.Average
				case statusMetrics[name] != 0 && v.Total != nil:
					b.classes[statusMetrics[name]] = *v.Total
				}
			}
		}
	}
	for inst, buckets := range byInst {
		key := site + "|" + inst
		if skipped := seen[site+"|*"]; skipped.After(seen[key]) {
			seen[key] = skipped // another source covered those minutes
		}
		last := seen[key]
		for at, b := range buckets {
			// A bucket covers [at, at+1m): complete, and observed, at its
			// end. The current minute is still filling: skip it.
			endAt := at.Add(time.Minute)
			if endAt.After(end) || !endAt.After(seen[key]) {
				continue
			}
			obs.ObserveRequests(site, inst, b.observations(endAt)...)
			if endAt.After(last) {
				last = endAt
			}
		}
		seen[key] = last
	}
	return nil
}

// observations turns a bucket into observations whose counts add up to the
// Requests metric: one per status class, and the remainder with status 0.
func (b *bucket) observations(at time.Time) []Request {
	taken := time.Duration(b.avgSecs * float64(time.Second))
	var out []Request
	rest := b.requests
	for status, n := range b.classes {
		if n >= 1 {
			out = append(out, Request{At: at, Status: status, Count: int(n), TimeTaken: taken})
			rest -= n
		}
	}
	if rest >= 1 {
		out = append(out, Request{At: at, Count: int(rest), TimeTaken: taken})
	}
	return out
}

func instanceOf(ts *azquery.TimeSeriesElement) string {
	for _, md := range ts.MetadataValues {
		if md != nil && md.Name != nil && md.Name.Value != nil && strings.EqualFold(*md.Name.Value, "instance") && md.Value != nil {
			return *md.Value
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

// NewMetricsClient returns an Azure Monitor metrics client for the Resource
// Manager endpoint armURL ("" means Azure public cloud). transport is nil
// in production; tests pass one to reach a simulator.
func NewMetricsClient(armURL string, cred azcore.TokenCredential, transport policy.Transporter) (*azquery.MetricsClient, error) {
	opts := &azquery.MetricsClientOptions{}
	opts.Transport = transport
	if armURL != "" {
		opts.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				azquery.ServiceNameMetrics: {Endpoint: strings.TrimSuffix(armURL, "/"), Audience: "https://management.azure.com"},
			},
		}
	}
	c, err := azquery.NewMetricsClient(cred, opts)
	if err != nil {
		return nil, fmt.Errorf("autoheal: metrics client: %w", err)
	}
	return c, nil
}
