package messages

import (
	"errors"
	"strings"
	"testing"
)

func TestSeriesBounds(t *testing.T) {
	for _, tc := range []struct {
		s     *Series
		field string // "" when valid
	}{
		{nil, ""},
		{&Series{Count: 1}, ""},
		{&Series{Count: 1, IntervalSeconds: 10}, ""},
		{&Series{Count: 2, IntervalSeconds: 1}, ""},
		{&Series{Count: MaxSeriesCount, IntervalSeconds: MaxSeriesIntervalSeconds}, ""},
		{&Series{Count: 0, IntervalSeconds: 10}, "count"},
		{&Series{Count: -1, IntervalSeconds: 10}, "count"},
		{&Series{Count: MaxSeriesCount + 1, IntervalSeconds: 10}, "count"},
		{&Series{Count: 3}, "interval_seconds"},
		{&Series{Count: 3, IntervalSeconds: -5}, "interval_seconds"},
		{&Series{Count: 3, IntervalSeconds: MaxSeriesIntervalSeconds + 1}, "interval_seconds"},
		{&Series{Count: 1, IntervalSeconds: MaxSeriesIntervalSeconds + 1}, "interval_seconds"},
	} {
		err := tc.s.Validate()
		var fe *FieldError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: %v, want valid", tc.s, err)
		case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
			t.Errorf("%+v: %v, want an error naming %s", tc.s, err, tc.field)
		}
	}
}

func TestActionSeriesErrorNamesTheField(t *testing.T) {
	j := sampleJob()
	j.Action.Series = &Series{Count: 11, IntervalSeconds: 10}
	err := j.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "action.series.count" {
		t.Fatalf("got %v, want a field error at action.series.count", err)
	}
	if !strings.Contains(err.Error(), "1 to 10") {
		t.Errorf("%q does not say the bounds", err)
	}
}

func TestSeriesRefValidation(t *testing.T) {
	d := sampleDump()
	d.Series = &SeriesRef{ID: SeriesID(d.JobID, d.Instance, d.PID), Index: 2, Count: 3, IntervalSeconds: 10}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Encode(New(incident, d, t0)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []SeriesRef{
		{ID: d.Series.ID, Index: 0, Count: 3},
		{ID: d.Series.ID, Index: 4, Count: 3},
		{ID: d.Series.ID, Index: 1, Count: MaxSeriesCount + 1},
		{ID: "", Index: 1, Count: 3},
		{ID: "Bad ID", Index: 1, Count: 3},
	} {
		d.Series = &bad
		var fe *FieldError
		if err := d.Validate(); !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "series.") {
			t.Errorf("%+v: %v, want an error under series.", bad, err)
		}
	}
}

func TestSeriesIDIsStableAndPerTarget(t *testing.T) {
	a := SeriesID("job1", "inst", 4120)
	if a != SeriesID("job1", "inst", 4120) {
		t.Fatal("series id not deterministic")
	}
	if a == SeriesID("job1", "inst", 4124) || a == SeriesID("job1", "inst2", 4120) || a == SeriesID("job2", "inst", 4120) {
		t.Fatal("two targets share a series id")
	}
	if !validID(a) {
		t.Fatalf("%q is not a valid id", a)
	}
}
