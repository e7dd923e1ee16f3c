package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dumpflow/dumpflow/test/bench/machine"
)

// loadSpec is what the load generator posts.
type loadSpec struct {
	Addr        string  `json:"addr"`
	Alerts      int     `json:"alerts"`
	Concurrency int     `json:"concurrency"`
	DupRatio    float64 `json:"dup_ratio"`
	Limits      bool    `json:"limits"`
	// Rate, when positive, makes the load open: post i is due at
	// start + i/Rate whatever the answers so far, sent on the first free
	// connection, and its latency counts from when it was due, so a
	// server that falls behind is charged for the wait (no coordinated
	// omission). Zero: closed loop, each connection posts again as soon
	// as it is answered.
	Rate float64 `json:"rate,omitempty"`
	// FirstAlert numbers the first alert posted, so that a warm-up and the
	// measured run post different alerts.
	FirstAlert int `json:"first_alert,omitempty"`
}

// loadResult is what the load generator measured.
type loadResult struct {
	Accepted   int64   `json:"accepted"`
	Duplicates int64   `json:"duplicates"`
	Failed     int64   `json:"failed"`
	FirstError string  `json:"first_error,omitempty"`
	WallS      float64 `json:"wall_s"`
	P50MS      float64 `json:"p50_ms"`
	P99MS      float64 `json:"p99_ms"`
	MaxMS      float64 `json:"max_ms"`
	// LateP99MS is, in an open-loop run, the 99th percentile of how late
	// posts were sent after they were due: the load generator's own
	// scheduling delay (it shares the cores) plus waits for a free
	// connection. It is part of P99MS.
	LateP99MS float64 `json:"late_p99_ms,omitempty"`
	// CPUS is the load generator's own CPU time.
	CPUS float64 `json:"cpu_s"`
}

// runLoad posts spec.Alerts alerts over spec.Concurrency keep-alive
// connections, at spec.Rate when set, and measures each post's latency.
func runLoad(spec loadSpec) loadResult {
	path := "/v1/alerts?token=" + token
	bodies := make([][]byte, spec.Alerts)
	for i := range bodies {
		k := spec.FirstAlert + i
		if spec.DupRatio > 0 && i > 0 && float64(i%1000)/1000 < spec.DupRatio {
			k = spec.FirstAlert + i/2 // a repeat of an earlier alert
		}
		apps := 50
		if spec.Limits {
			apps = spec.Alerts // one app per alert: every post reserves a fresh limit record
		}
		bodies[i] = payload(k, apps)
	}
	lat := make([]time.Duration, spec.Alerts)
	var late []time.Duration
	if spec.Rate > 0 {
		late = make([]time.Duration, spec.Alerts)
	}
	var next, accepted, dups, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu0 := machine.CPUTime()
	start := time.Now()
	for range spec.Concurrency {
		wg.Go(func() {
			c := newConn(spec.Addr, path)
			defer c.close()
			for {
				i := int(next.Add(1) - 1)
				if i >= spec.Alerts {
					return
				}
				t0 := time.Now()
				if spec.Rate > 0 {
					t0 = start.Add(time.Duration(float64(i) / spec.Rate * float64(time.Second)))
					time.Sleep(time.Until(t0))
					late[i] = time.Since(t0)
				}
				ok, dup, err := c.post(bodies[i])
				lat[i] = time.Since(t0)
				switch {
				case err != nil || !ok:
					if failed.Add(1) == 1 {
						firstErr.Store(fmt.Sprint(err))
					}
				case dup:
					dups.Add(1)
				default:
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	r := loadResult{Accepted: accepted.Load(), Duplicates: dups.Load(), Failed: failed.Load(),
		WallS: wall.Seconds(), CPUS: (machine.CPUTime() - cpu0).Seconds()}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if len(lat) > 0 {
		r.P50MS, r.P99MS, r.MaxMS = ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1])
	}
	if len(late) > 0 {
		sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
		r.LateP99MS = ms(late[len(late)*99/100])
	}
	return r
}

// payload is a fired App Service metric alert in the common schema; k
// makes its alert id (and so its incident) distinct, and picks one of
// apps apps.
func payload(k, apps int) []byte {
	return fmt.Appendf(nil, `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{
"alertId":"/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts/%08d-0000-0000-0000-000000000000",
"alertRule":"High memory","severity":"Sev2","signalType":"Metric","monitorCondition":"Fired","monitoringService":"Platform",
"alertTargetIDs":["/subscriptions/%s/resourcegroups/prod/providers/microsoft.web/sites/app%d"],
"firedDateTime":"2024-05-01T10:00:00.1234567Z","description":""},
"alertContext":{"properties":null,"conditionType":"SingleResourceMultipleMetricCriteria","condition":{"windowSize":"PT5M",
"allOf":[{"metricName":"MemoryWorkingSet","operator":"GreaterThan","threshold":"3000000000","dimensions":[{"name":"Instance","value":"RD0003FF1A2B3C"}],"metricValue":3.2e9}]}}}}`,
		sub, k, sub, k%apps)
}

// loadEnv names the environment variable that turns this program into the
// load generator: its value is the JSON loadSpec; the result is printed
// to stdout as JSON.
const loadEnv = "INGEST_BENCH_LOAD"

func loadMain(specJSON string) int {
	var spec loadSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "ingest-bench load:", err)
		return 2
	}
	r := runLoad(spec)
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	return 0
}
