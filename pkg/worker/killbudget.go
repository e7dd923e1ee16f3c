package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
)

// killStatePrefix is where the per-site kill budget state lies in blob
// storage, shared by every worker using the bucket.
const killStatePrefix = "state/killbudget/"

// KillStateKey is the blob key of one site's kill budget state.
func KillStateKey(site string) string {
	return killStatePrefix + layout.Segment(strings.ToLower(site)) + ".json"
}

// killState is the stored form of one site's kill budget.
type killState struct {
	// Kills are the times of the kills granted in the current window.
	Kills []time.Time `json:"kills"`
	// CoolOffUntil disables kills until then, when non-zero.
	CoolOffUntil time.Time `json:"cool_off_until,omitzero"`
}

// killDenied is why the budget refused a kill: a person reads it.
type killDenied struct{ reason string }

func (e *killDenied) Error() string { return e.reason }

// killBudget grants kills per site within KillBudget, durably: each decision
// is a read-modify-write of the site's state blob under a lease on the same
// key, so that concurrent workers never grant more than the budget.
type killBudget struct {
	bucket blob.Bucket
	cfg    KillBudget
	ttl    time.Duration
	poll   time.Duration
}

// take asks for one kill of site now. It returns nil when granted, a
// *killDenied when the budget or a cool-off refuses it, or another error
// when the state could not be read or written (the kill is then not done).
func (k *killBudget) take(ctx context.Context, site string) error {
	key := KillStateKey(site)
	lease, err := k.acquire(ctx, key)
	if err != nil {
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = lease.Release(rctx)
	}()
	st, err := k.load(ctx, key)
	if err != nil {
		return err
	}
	now, err := storageNow(ctx, k.bucket, site)
	if err != nil {
		return err
	}
	if now.Before(st.CoolOffUntil) {
		return &killDenied{fmt.Sprintf("kills for this site are disabled until %s (cool-off after exceeding the kill budget of %d per %s)",
			st.CoolOffUntil.Format(time.RFC3339), k.cfg.Max, k.cfg.Window)}
	}
	kept := st.Kills[:0]
	for _, t := range st.Kills {
		if now.Sub(t) < k.cfg.Window {
			kept = append(kept, t)
		}
	}
	st.Kills = kept
	var denied error
	if len(st.Kills) >= k.cfg.Max {
		st.CoolOffUntil = now.Add(k.cfg.CoolOff)
		denied = &killDenied{fmt.Sprintf("kill budget of %d per %s exhausted; kills for this site are disabled until %s",
			k.cfg.Max, k.cfg.Window, st.CoolOffUntil.Format(time.RFC3339))}
	} else {
		st.Kills = append(st.Kills, now)
		st.CoolOffUntil = time.Time{}
	}
	if err := k.store(ctx, key, st); err != nil {
		return err
	}
	return denied
}

func (k *killBudget) acquire(ctx context.Context, key string) (blob.Lease, error) {
	for {
		l, err := k.bucket.AcquireLease(ctx, key, k.ttl)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, blob.ErrLeaseHeld) {
			return nil, fmt.Errorf("kill budget lock %s: %w", key, err)
		}
		t := time.NewTimer(k.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for kill budget lock %s: %w", key, ctx.Err())
		case <-t.C:
		}
	}
}

func (k *killBudget) load(ctx context.Context, key string) (killState, error) {
	var st killState
	r, _, err := k.bucket.NewReader(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("reading kill budget %s: %w", key, err)
	}
	defer r.Close()
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&st); err != nil {
		return killState{}, fmt.Errorf("decoding kill budget %s: %w", key, err)
	}
	return st, nil
}

func (k *killBudget) store(ctx context.Context, key string, st killState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding kill budget: %w", err)
	}
	if err := blob.WriteAll(ctx, k.bucket, key, data, &blob.WriterOptions{ContentType: "application/json", Overwrite: true}); err != nil {
		return fmt.Errorf("writing kill budget %s: %w", key, err)
	}
	return nil
}
