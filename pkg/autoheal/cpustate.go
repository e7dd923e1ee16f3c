package autoheal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/policy"
)

// cpuSession is the stored state of one CPU rule on one site: when the
// session started (MaximumNumberOfHours counts from there) and the actions
// taken on any instance (MaxActions counts them). It lives in the policy
// limits' store, so it survives restarts and is shared by ingest replicas,
// as DaaS shares its count through files on the site's shared storage.
type cpuSession struct {
	Start   time.Time   `json:"start"`
	Actions []cpuAction `json:"actions"`
}

type cpuAction struct {
	At       time.Time `json:"at"`
	Instance string    `json:"instance"`
	PID      int       `json:"pid"`
}

// CPUStateKey is the store key of a CPU rule's session on a site (a
// resource id, compared case-insensitively).
func CPUStateKey(rule, site string) string { return stateKey("cpurules", rule, site) }

func decodeSession(key string, b []byte) (cpuSession, error) {
	var s cpuSession
	if b == nil {
		return s, nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("autoheal: state %s is corrupt (delete it to reset the rule): %w", key, err)
	}
	return s, nil
}

// startSession records the session start of rule on site unless one is
// recorded, and returns the recorded start.
func startSession(ctx context.Context, st policy.Store, rule, site string, now time.Time) (time.Time, error) {
	key := CPUStateKey(rule, site)
	var start time.Time
	err := st.Update(ctx, key, func(old []byte) ([]byte, error) {
		s, err := decodeSession(key, old)
		if err != nil {
			return nil, err
		}
		if !s.Start.IsZero() {
			start = s.Start
			return nil, nil // already started: write nothing
		}
		s.Start, start = now.UTC(), now.UTC()
		return json.Marshal(s)
	})
	return start, err
}

// sameRun is how close two actions on one pid must be to be one run seen
// by two replicas: replicas sample out of phase by less than one jittered
// interval (1.1 × MonitorDuration), while one watcher's next run on that
// pid takes n = ⌈ThresholdSeconds/MonitorDuration⌉ samples, at least
// 0.9 × n × MonitorDuration. The window lies between the two when n ≥ 2;
// with n = 1 genuine actions win.
func (r *CPURule) sameRun() time.Duration {
	md := time.Duration(r.MonitorDuration) * time.Second
	n := (r.ThresholdSeconds + r.MonitorDuration - 1) / r.MonitorDuration
	return min(md*3/2, md*time.Duration(n)*85/100)
}

// reserveAction counts an action of rule on site against MaxActions and
// MaximumNumberOfHours, atomically across replicas. It returns why the
// action is refused, or "" when it was recorded.
func reserveAction(ctx context.Context, st policy.Store, r *CPURule, site, instance string, pid int, now time.Time) (string, error) {
	key := CPUStateKey(r.Name, site)
	var why string
	err := st.Update(ctx, key, func(old []byte) ([]byte, error) {
		s, err := decodeSession(key, old)
		if err != nil {
			return nil, err
		}
		if s.Start.IsZero() {
			s.Start = now.UTC()
		}
		if end := s.Start.Add(r.Hours()); !now.Before(end) {
			why = fmt.Sprintf("session ended at %s (maximumNumberOfHours %d after its start)", end.Format(time.RFC3339), r.Hours()/time.Hour)
			return nil, nil
		}
		for _, a := range s.Actions {
			if a.Instance == instance && a.PID == pid && now.Sub(a.At) < r.sameRun() {
				why = fmt.Sprintf("another replica acted on this run of pid %d %s ago", pid, now.Sub(a.At).Round(time.Second))
				return nil, nil
			}
		}
		if r.MaxActions > 0 && len(s.Actions) >= r.MaxActions {
			why = fmt.Sprintf("maxActions reached: %d actions on all instances of this site", len(s.Actions))
			return nil, nil
		}
		s.Actions = append(s.Actions, cpuAction{At: now.UTC(), Instance: instance, PID: pid})
		return json.Marshal(s)
	})
	return why, err
}
