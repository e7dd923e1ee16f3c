package messages

import (
	"fmt"
	"strconv"
	"time"
)

// Bounds of a dump series (ProcDump's -n and -s). Ten dumps freeze the
// target ten times; ten minutes apart is already an hour-long series.
const (
	MaxSeriesCount           = 10
	MinSeriesIntervalSeconds = 1
	MaxSeriesIntervalSeconds = 600
)

// Series asks for Count dumps of every target, IntervalSeconds apart
// (start to start), as ProcDump's `-n Count -s IntervalSeconds` does: the
// threads that did not move between the dumps point at a hang. A nil
// *Series (the default) is one dump per target.
type Series struct {
	// Count is the number of dumps per target, 1..MaxSeriesCount (1 is
	// the same as no series).
	Count int `json:"count"`
	// IntervalSeconds is the time between the starts of two successive
	// dumps of one target, MinSeriesIntervalSeconds..MaxSeriesIntervalSeconds;
	// required when Count is above 1. A dump that takes longer than the
	// interval is followed by the next one at once.
	IntervalSeconds int `json:"interval_seconds,omitempty"`
}

// Enabled reports whether s asks for more than one dump per target (a nil
// s does not).
func (s *Series) Enabled() bool { return s != nil && s.Count > 1 }

// Interval is IntervalSeconds as a time.Duration.
func (s *Series) Interval() time.Duration { return time.Duration(s.IntervalSeconds) * time.Second }

// Validate checks the bounds; the *FieldError names count or
// interval_seconds. A nil s is valid.
func (s *Series) Validate() error {
	if s == nil {
		return nil
	}
	if s.Count < 1 || s.Count > MaxSeriesCount {
		return &FieldError{"count", fmt.Sprintf("%d dumps per target; a series takes 1 to %d", s.Count, MaxSeriesCount)}
	}
	if s.IntervalSeconds == 0 && s.Count == 1 {
		return nil
	}
	if s.IntervalSeconds < MinSeriesIntervalSeconds || s.IntervalSeconds > MaxSeriesIntervalSeconds {
		return &FieldError{"interval_seconds", fmt.Sprintf("%d s between dumps; give %d to %d seconds (%v)",
			s.IntervalSeconds, MinSeriesIntervalSeconds, MaxSeriesIntervalSeconds, MaxSeriesIntervalSeconds*time.Second)}
	}
	return nil
}

// SeriesRef places one dump in the series of its target, on DumpCaptured
// and on the target's TargetResult.
type SeriesRef struct {
	// ID is the same for every dump of one target's series (see
	// SeriesID) and differs between targets.
	ID string `json:"id"`
	// Index is the dump's place in the series, from 1 to Count.
	Index int `json:"index"`
	// Count and IntervalSeconds are the series asked for.
	Count           int `json:"count"`
	IntervalSeconds int `json:"interval_seconds"`
}

// SeriesID is the deterministic id of the series of process pid on
// instance within job: a redelivered job names its series the same.
func SeriesID(jobID, instance string, pid int) string {
	return "s-" + shortHash("series", jobID, instance, strconv.Itoa(pid))
}

// Validate checks the reference.
func (r *SeriesRef) Validate() error {
	if r == nil {
		return nil
	}
	if err := checkID("id", r.ID); err != nil {
		return err
	}
	if r.Count < 1 || r.Count > MaxSeriesCount {
		return &FieldError{"count", fmt.Sprintf("%d, want 1 to %d", r.Count, MaxSeriesCount)}
	}
	if r.Index < 1 || r.Index > r.Count {
		return &FieldError{"index", fmt.Sprintf("%d, want 1 to count (%d)", r.Index, r.Count)}
	}
	if r.IntervalSeconds < 0 || r.IntervalSeconds > MaxSeriesIntervalSeconds {
		return &FieldError{"interval_seconds", fmt.Sprintf("%d, want 0 to %d", r.IntervalSeconds, MaxSeriesIntervalSeconds)}
	}
	return nil
}
