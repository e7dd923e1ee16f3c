package ingest

import (
	"errors"
	"strings"
	"testing"
)

func TestCaptureRequestSeries(t *testing.T) {
	app := `"apps": ["/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a"]`
	c, err := DecodeCaptureRequest([]byte(`{` + app + `, "series": {"count": 3, "interval_seconds": 10}}`))
	if err != nil {
		t.Fatal(err)
	}
	act, err := c.ActionSpec.Message()
	if err != nil || act.Series == nil || act.Series.Count != 3 || act.Series.IntervalSeconds != 10 {
		t.Fatalf("action %+v, %v: want the series on the wire", act, err)
	}
	for _, tc := range []struct{ series, field string }{
		{`{"count": 11, "interval_seconds": 10}`, "series.count"},
		{`{"count": 3}`, "series.interval_seconds"},
		{`{"count": 3, "interval_seconds": 3600}`, "series.interval_seconds"},
	} {
		_, err := DecodeCaptureRequest([]byte(`{` + app + `, "series": ` + tc.series + `}`))
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("series %s: %v, want a bad request naming %s", tc.series, err, tc.field)
		}
	}
}
