package policy

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a scheduled sweep: at every slot of its cron expression it
// creates one incident capturing its targets. The incident id derives from
// the schedule name and the slot time, so replicas and restarts never
// double-fire a slot.
type Schedule struct {
	Name string `json:"name"`
	// Cron is a standard 5-field expression ("0 3 * * *") or a descriptor
	// ("@hourly", "@every 6h"), in UTC unless it starts with CRON_TZ=.
	Cron string `json:"cron"`
	// Jitter delays each slot by a pseudo-random amount below it (the same
	// for every replica), to spread load.
	Jitter  Duration `json:"jitter,omitempty"`
	Targets Targets  `json:"targets"`
	ActionSpec
	// Disabled keeps the schedule in the file without running it.
	Disabled bool `json:"disabled,omitempty"`

	sched cron.Schedule
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (s *Schedule) compile() error {
	if s.Name == "" {
		return errors.New("name: required")
	}
	if !namePattern.MatchString(s.Name) {
		return fmt.Errorf("name: %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", s.Name)
	}
	sc, err := cronParser.Parse(s.Cron)
	if err != nil {
		return fmt.Errorf("cron: %q: %w", s.Cron, err)
	}
	s.sched = sc
	if s.Jitter < 0 {
		return errors.New("jitter: negative")
	}
	if s.Targets.Empty() {
		return errors.New("targets: required (apps, plans, resource_groups or tags)")
	}
	if err := s.Targets.validate("targets"); err != nil {
		return err
	}
	if s.Action == ActionIgnore {
		return errors.New("action: ignore makes no sense for a schedule")
	}
	return s.ActionSpec.Validate()
}

// Next returns the first slot strictly after t (in UTC unless the
// expression names a time zone).
func (s *Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	return s.sched.Next(t.UTC())
}
