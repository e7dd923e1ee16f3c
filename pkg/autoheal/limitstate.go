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

type limitKey struct{ rule, site string }

// suppressedNoState begins Firing.Suppressed when the limit store failed;
// the runner logs those at error level, not with the routine holds.
const suppressedNoState = "limit state unavailable, not acting: "

// limitState is the limit record of one rule on one site. It is what the
// store keeps (JSON), so cooldowns, the flap guard and the daily cap
// survive a restart of ingest and are shared by its replicas.
type limitState struct {
	Actions       []time.Time          `json:"actions,omitempty"`          // acted firings in the window
	LastByInst    map[string]time.Time `json:"last_by_instance,omitempty"` // cooldown per instance
	DisabledUntil time.Time            `json:"disabled_until,omitzero"`
	Day           string               `json:"day,omitempty"`
	DayCount      int                  `json:"day_count,omitempty"`
}

// LimitStateKey is the store key of the limit state of an auto-heal rule
// on a site (a resource id, compared case-insensitively).
func LimitStateKey(rule, site string) string { return stateKey("autoheal", rule, site) }

// stateKey is the store key of a rule's state of one kind on a site: the
// site's resource id is hashed, lower-cased, as ARM compares ids.
func stateKey(kind, rule, site string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(site)))
	return "state/" + kind + "/" + rule + "/" + hex.EncodeToString(sum[:12]) + ".json"
}

// KeepLimitsIn makes the evaluator keep its limit state in st (the store
// the policy limits use) instead of in memory. Call it before the first
// Evaluate.
func (e *Evaluator) KeepLimitsIn(st policy.Store) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.store = st
}

// admit applies the limits and records the action when admitted. It
// returns why the firing is suppressed, or "". With a store, a store that
// fails suppresses the firing (limits fail closed).
func (e *Evaluator) admit(ctx context.Context, rule string, k instKey, l Limits, now time.Time) string {
	if e.store == nil {
		lk := limitKey{rule, k.site}
		st := e.limits[lk]
		if st == nil {
			st = &limitState{}
			e.limits[lk] = st
		}
		why, _ := st.admit(k.instance, l, now)
		return why
	}
	key := LimitStateKey(rule, k.site)
	var why string
	err := e.store.Update(ctx, key, func(old []byte) ([]byte, error) {
		var st limitState
		if old != nil {
			if err := json.Unmarshal(old, &st); err != nil {
				return nil, fmt.Errorf("autoheal: limit state %s is corrupt (delete it to reset the rule): %w", key, err)
			}
		}
		var changed bool
		why, changed = st.admit(k.instance, l, now)
		if !changed {
			return nil, nil
		}
		return json.Marshal(st)
	})
	if err != nil {
		return suppressedNoState + err.Error()
	}
	return why
}

// admit applies l to st at now for an action on instance; it reports why
// the action is refused ("" when admitted and recorded) and whether st
// changed in a way worth storing.
func (st *limitState) admit(instance string, l Limits, now time.Time) (why string, changed bool) {
	if st.LastByInst == nil {
		st.LastByInst = map[string]time.Time{}
	}
	if now.Before(st.DisabledUntil) {
		return fmt.Sprintf("rule disabled for this site until %s after %d actions within %s", st.DisabledUntil.UTC().Format(time.RFC3339), l.MaxActions, l.Window), false
	}
	if last, ok := st.LastByInst[instance]; ok && now.Sub(last) < l.Cooldown.Duration() {
		return fmt.Sprintf("cooldown: acted on this instance %s ago (cooldown %s)", now.Sub(last).Round(time.Second), l.Cooldown), false
	}
	day := now.UTC().Format("2006-01-02")
	if st.Day != day {
		st.Day, st.DayCount = day, 0
	}
	if st.DayCount >= l.DailyCap {
		return fmt.Sprintf("daily cap of %d actions reached for this site", l.DailyCap), false
	}
	kept := st.Actions[:0]
	for _, t := range st.Actions {
		if now.Sub(t) < l.Window.Duration() {
			kept = append(kept, t)
		}
	}
	st.Actions = kept
	if len(st.Actions) >= l.MaxActions {
		st.DisabledUntil = now.Add(l.Disable.Duration())
		return fmt.Sprintf("flap guard: %d actions within %s; rule disabled for this site for %s", len(st.Actions), l.Window, l.Disable), true
	}
	st.Actions = append(st.Actions, now)
	st.LastByInst[instance] = now
	st.DayCount++
	return "", true
}
