package sim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Script scripts how the simulated apps behave over time, for tests of
// auto-heal rules.
type Script struct {
	// PrivateBytes returns the private bytes of the app's w3wp on an
	// instance, given the process's age (time since its start). A value of
	// 0 or less keeps the static figure. A killed and respawned w3wp starts
	// at age 0 again, so a leak script "recycles" with the process.
	PrivateBytes func(app, instance string, age time.Duration) int64
	// Requests returns what Azure Monitor reports for an instance in the
	// minute starting at minute (UTC).
	Requests func(app, instance string, minute time.Time) MinuteMetrics
	// CPUTime returns the total processor time (total_cpu_time) of a
	// process on an instance when its detail is read; ok false keeps the
	// static figure. The script owns the clock: a test that drives a
	// CPU watch with a fake clock computes CPU time from that clock, so a
	// process "spins" at exactly the rate the test says.
	CPUTime func(app, instance string, pid int, process string) (cpu time.Duration, ok bool)
	// Stuck makes successive dumps of a process differ as a live
	// process's do, for tests of dump series (docs/analysis.md, "Possibly
	// hung threads"): in each dump, a thread for which Stuck returns true
	// keeps its frame 0 (it is hung in one place), while every other
	// thread's frame 0 moves to another address of the same module at each
	// dump of the process. Nil keeps every frame 0 fixed across dumps (the
	// static figure). It is called with the simulator's lock held and must
	// not call the simulator.
	Stuck func(app, instance string, pid, tid int) bool
}

// MinuteMetrics are one minute of App Service request metrics of one
// instance.
type MinuteMetrics struct {
	Requests, Http2xx, Http3xx, Http4xx, Http5xx float64
	// AvgResponseSeconds is HttpResponseTime's average.
	AvgResponseSeconds float64
}

type metricValue struct {
	TimeStamp string   `json:"timeStamp"`
	Total     *float64 `json:"total,omitempty"`
	Average   *float64 `json:"average,omitempty"`
}

type localizable struct {
	Value          string `json:"value"`
	LocalizedValue string `json:"localizedValue"`
}

type metadataValue struct {
	Name  localizable `json:"name"`
	Value string      `json:"value"`
}

type timeSeries struct {
	MetadataValues []metadataValue `json:"metadatavalues"`
	Data           []metricValue   `json:"data"`
}

type metric struct {
	ID         string       `json:"id"`
	Type       string       `json:"type"`
	Name       localizable  `json:"name"`
	Unit       string       `json:"unit"`
	TimeSeries []timeSeries `json:"timeseries"`
	ErrorCode  string       `json:"errorCode"`
}

// armMetrics answers Azure Monitor's metrics query for a site, one minute
// grain, split by the Instance dimension (the worker's machine name), from
// Script.Requests; without a script every value is zero.
func (s *Server) armMetrics(w http.ResponseWriter, r *http.Request, a *app) {
	span, _ := queryValue(r, "timespan")
	from, to, ok := strings.Cut(span, "/")
	start, err1 := time.Parse(time.RFC3339, from)
	end, err2 := time.Parse(time.RFC3339, to)
	if !ok || err1 != nil || err2 != nil || !end.After(start) || end.Sub(start) > 24*time.Hour {
		writeARMError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid timespan %q.", span))
		return
	}
	if iv, _ := queryValue(r, "interval"); iv != "" && !strings.EqualFold(iv, "PT1M") {
		writeARMError(w, http.StatusBadRequest, "BadRequest", "The simulator serves only interval PT1M.")
		return
	}
	names, _ := queryValue(r, "metricnames")
	s.mu.Lock()
	type inst struct{ id, machine string }
	var insts []inst
	for _, in := range a.instances {
		insts = append(insts, inst{in.id, in.machine})
	}
	s.mu.Unlock()
	var out []metric
	for _, name := range strings.Split(names, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		m := metric{ID: a.resourceID + "/providers/Microsoft.Insights/metrics/" + name, Type: "Microsoft.Insights/metrics",
			Name: localizable{name, name}, Unit: "Count", ErrorCode: "Success"}
		if name == "HttpResponseTime" {
			m.Unit = "Seconds"
		}
		for _, in := range insts {
			ts := timeSeries{MetadataValues: []metadataValue{{Name: localizable{"instance", "instance"}, Value: in.machine}}}
			for t := start.UTC().Truncate(time.Minute); t.Before(end); t = t.Add(time.Minute) {
				var mm MinuteMetrics
				if sc := s.cfg.Script; sc != nil && sc.Requests != nil {
					mm = sc.Requests(a.name, in.id, t)
				}
				v := metricValue{TimeStamp: t.Format(time.RFC3339)}
				val := map[string]float64{"Requests": mm.Requests, "Http2xx": mm.Http2xx, "Http3xx": mm.Http3xx,
					"Http4xx": mm.Http4xx, "Http5xx": mm.Http5xx}
				if name == "HttpResponseTime" {
					avg := mm.AvgResponseSeconds
					v.Average = &avg
				} else if x, ok := val[name]; ok {
					v.Total = &x
				} else {
					continue
				}
				ts.Data = append(ts.Data, v)
			}
			m.TimeSeries = append(m.TimeSeries, ts)
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"cost": 0, "timespan": span, "interval": "PT1M", "value": out,
		"namespace": "Microsoft.Web/sites", "resourceregion": "westeurope",
	})
}
