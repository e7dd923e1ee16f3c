package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

func TestPolicySeriesReachesTheAction(t *testing.T) {
	c, err := Parse([]byte(`{"policies": [{"name": "hang", "action": "collect-kill", "series": {"count": 3, "interval_seconds": 10}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Policies[0].Message()
	if err != nil {
		t.Fatal(err)
	}
	if a.Series == nil || *a.Series != (messages.Series{Count: 3, IntervalSeconds: 10}) || !a.Kill {
		t.Fatalf("action %+v (series %+v), want 3 dumps 10 s apart, then kill", a, a.Series)
	}
	// Without series: one dump, and nothing new on the wire.
	c, err = Parse([]byte(`{"policies": [{"name": "one"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Policies[0].Message(); a.Series != nil {
		t.Fatalf("series %+v by default, want none", a.Series)
	}
}

func TestPolicySeriesBoundsNameTheField(t *testing.T) {
	for _, tc := range []struct{ series, field string }{
		{`{"count": 0, "interval_seconds": 10}`, "series.count"},
		{`{"count": 11, "interval_seconds": 10}`, "series.count"},
		{`{"count": 3}`, "series.interval_seconds"},
		{`{"count": 3, "interval_seconds": 0}`, "series.interval_seconds"},
		{`{"count": 3, "interval_seconds": 601}`, "series.interval_seconds"},
		{`{"count": 3, "interval": "10s"}`, `unknown field "interval"`},
	} {
		_, err := Parse([]byte(`{"policies": [{"name": "a", "series": ` + tc.series + `}]}`))
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("series %s: %v, want an error naming %s", tc.series, err, tc.field)
		}
	}
	for _, ok := range []string{`{"count": 1}`, `{"count": 2, "interval_seconds": 1}`, `{"count": 10, "interval_seconds": 600}`} {
		if _, err := Parse([]byte(`{"policies": [{"name": "a", "series": ` + ok + `}]}`)); err != nil {
			t.Errorf("series %s refused: %v", ok, err)
		}
	}
}

func TestScheduleSeries(t *testing.T) {
	c, err := Parse([]byte(`{"schedules": [{"name": "nightly", "cron": "@daily", "targets": {"apps": ["/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a"]},
		"series": {"count": 2, "interval_seconds": 30}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.Schedules[0].Message(); err != nil || a.Series == nil || a.Series.Count != 2 || a.Series.IntervalSeconds != 30 {
		t.Fatalf("schedule action %+v, %v", a, err)
	}
	_, err = Parse([]byte(`{"schedules": [{"name": "nightly", "cron": "@daily", "targets": {"apps": ["/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a"]},
		"series": {"count": 2}}]}`))
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "series.interval_seconds") {
		t.Fatalf("%v, want an error naming series.interval_seconds", err)
	}
}
