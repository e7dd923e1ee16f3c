package autoheal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
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
func CPUStateKey(rule, site string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(site)))
	return "state/cpurules/" + rule + "/" + hex.EncodeToString(sum[:12]) + ".json"
}

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
		if r.MaxActions > 0 && len(s.Actions) >= r.MaxActions {
			why = fmt.Sprintf("maxActions reached: %d actions on all instances of this site", len(s.Actions))
			return nil, nil
		}
		s.Actions = append(s.Actions, cpuAction{At: now.UTC(), Instance: instance, PID: pid})
		return json.Marshal(s)
	})
	return why, err
}
