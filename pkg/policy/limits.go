package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxHistory is how long action records are kept: the longest window or
// cooldown a policy may have, and enough for the daily cap.
const maxHistory = 7 * 24 * time.Hour

// Verdict is the Limiter's answer for one target.
type Verdict struct {
	Allowed bool `json:"allowed"`
	// Limit names the limit that refused: "cooldown", "window" or
	// "daily_cap"; empty when allowed.
	Limit string `json:"limit,omitempty"`
	// Reason is a sentence a person reads.
	Reason string `json:"reason"`
	// RetryAfter is when the refusing limit would next allow an action.
	RetryAfter time.Time `json:"retry_after,omitzero"`
}

// record is the stored limit state of one policy and target.
type record struct {
	Actions []action `json:"actions"`
}

type action struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
}

// Limiter enforces Limits. Reservations are idempotent per incident: the
// same incident reserving the same target again is allowed without being
// counted twice (so Azure's webhook retries cost nothing). It is safe for
// concurrent use; across processes it is as atomic as its Store.
type Limiter struct {
	store Store
}

// NewLimiter returns a Limiter keeping its state in store.
func NewLimiter(store Store) *Limiter { return &Limiter{store: store} }

// StateKey is the store key of the limit state of policy and target (a
// resource id, compared case-insensitively).
func StateKey(policy, target string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(target)))
	return "state/limits/" + policy + "/" + hex.EncodeToString(sum[:12]) + ".json"
}

// Check reports what Reserve would answer, without recording anything.
func (l *Limiter) Check(ctx context.Context, policy string, lim Limits, target, incident string, now time.Time) (Verdict, error) {
	if !lim.Enabled() {
		return Verdict{Allowed: true, Reason: "no limits"}, nil
	}
	data, err := l.store.Get(ctx, StateKey(policy, target))
	if err != nil {
		return Verdict{}, fmt.Errorf("policy: read limit state: %w", err)
	}
	rec, err := decodeRecord(data)
	if err != nil {
		return Verdict{}, err
	}
	return judge(rec, lim, incident, now), nil
}

// Reserve records an action of policy on target for incident at now,
// unless a limit refuses it.
func (l *Limiter) Reserve(ctx context.Context, policy string, lim Limits, target, incident string, now time.Time) (Verdict, error) {
	if !lim.Enabled() {
		return Verdict{Allowed: true, Reason: "no limits"}, nil
	}
	var v Verdict
	err := l.store.Update(ctx, StateKey(policy, target), func(old []byte) ([]byte, error) {
		rec, err := decodeRecord(old)
		if err != nil {
			return nil, err
		}
		v = judge(rec, lim, incident, now)
		if !v.Allowed || rec.has(incident) {
			return nil, nil // nothing to write
		}
		rec.Actions = append(rec.Actions, action{At: now.UTC(), Incident: incident})
		rec.prune(now)
		return json.Marshal(rec)
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("policy: update limit state: %w", err)
	}
	return v, nil
}

// ErrCorruptState is wrapped when stored limit state cannot be read.
var ErrCorruptState = errors.New("policy: corrupt limit state")

func decodeRecord(data []byte) (*record, error) {
	rec := &record{}
	if len(data) == 0 {
		return rec, nil
	}
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptState, err)
	}
	sort.Slice(rec.Actions, func(i, j int) bool { return rec.Actions[i].At.Before(rec.Actions[j].At) })
	return rec, nil
}

func (r *record) has(incident string) bool {
	for _, a := range r.Actions {
		if a.Incident == incident {
			return true
		}
	}
	return false
}

func (r *record) prune(now time.Time) {
	keep := r.Actions[:0]
	for _, a := range r.Actions {
		if now.Sub(a.At) < maxHistory {
			keep = append(keep, a)
		}
	}
	r.Actions = keep
}

// judge applies lim to the recorded actions (sorted by time).
func judge(r *record, lim Limits, incident string, now time.Time) Verdict {
	if r.has(incident) {
		return Verdict{Allowed: true, Reason: "already reserved by this incident"}
	}
	n := len(r.Actions)
	if lim.Cooldown > 0 && n > 0 {
		last := r.Actions[n-1].At
		if until := last.Add(lim.Cooldown.D()); now.Before(until) {
			return Verdict{Limit: "cooldown", RetryAfter: until,
				Reason: fmt.Sprintf("cooldown: last action %s ago (incident %s), cooldown %v", now.Sub(last).Round(time.Second), r.Actions[n-1].Incident, lim.Cooldown.D())}
		}
	}
	if lim.MaxActions > 0 {
		from := now.Add(-lim.Window.D())
		var in []time.Time
		for _, a := range r.Actions {
			if a.At.After(from) && !a.At.After(now) {
				in = append(in, a.At)
			}
		}
		if len(in) >= lim.MaxActions {
			return Verdict{Limit: "window", RetryAfter: in[len(in)-lim.MaxActions].Add(lim.Window.D()),
				Reason: fmt.Sprintf("window: %d actions in the last %v (max %d)", len(in), lim.Window.D(), lim.MaxActions)}
		}
	}
	if lim.DailyCap > 0 {
		day := now.UTC().Truncate(24 * time.Hour)
		count := 0
		for _, a := range r.Actions {
			if !a.At.Before(day) && !a.At.After(now) {
				count++
			}
		}
		if count >= lim.DailyCap {
			return Verdict{Limit: "daily_cap", RetryAfter: day.Add(24 * time.Hour),
				Reason: fmt.Sprintf("daily cap: %d actions today (UTC), cap %d", count, lim.DailyCap)}
		}
	}
	return Verdict{Allowed: true, Reason: "within limits"}
}
