package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// killMarkPrefix holds one blob per collect-kill, written before the kill
// is sent: state/kills/{job}/{instance}/{pid}.json. A redelivered job reads
// them so that it never kills a process it did not dump (issue 22: after a
// worker was SIGKILLed right after a kill, the redelivery dumped and killed
// the w3wp that had replaced the killed one).
const killMarkPrefix = "state/kills/"

// killMark is the stored form of one kill about to be sent.
type killMark struct {
	Job      string    `json:"job"`
	Instance string    `json:"instance"`
	PID      int       `json:"pid"`
	Process  string    `json:"process"`
	Delivery string    `json:"delivery"`
	At       time.Time `json:"at"`
}

func killMarkDir(jobID, instance string) string {
	return killMarkPrefix + layout.Segment(jobID) + "/" + layout.Segment(instance) + "/"
}

// deliveryKey carries the id of one Capture call (one delivery of a job).
type deliveryKey struct{}

// withDelivery returns ctx carrying a new delivery id.
func withDelivery(ctx context.Context) context.Context {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return context.WithValue(ctx, deliveryKey{}, hex.EncodeToString(b[:]))
}

func deliveryOf(ctx context.Context) string { s, _ := ctx.Value(deliveryKey{}).(string); return s }

// killedEarlier reports whether an earlier delivery of job already killed
// a process on t's instance other than t: t then appeared after that kill
// (a respawned w3wp) and is neither dumped nor killed. The reason is for a
// person. A marker that cannot be read counts as a kill (never kill twice).
func (e *Engine) killedEarlier(ctx context.Context, job *messages.CaptureJob, t target) (bool, string, error) {
	attrs, err := e.bucket.List(ctx, killMarkDir(job.JobID, t.Instance))
	if err != nil {
		return false, "", fmt.Errorf("reading the kill records of this job: %w", err)
	}
	for _, a := range attrs {
		m, err := e.readKillMark(ctx, a.Key)
		if err != nil {
			return false, "", err
		}
		if m.Delivery == deliveryOf(ctx) || m.PID == t.PID {
			continue
		}
		return true, fmt.Sprintf("an earlier delivery of this job killed pid %d (%s) on this instance at %s; pid %d started after it and was not dumped by that delivery, so it is neither dumped nor killed",
			m.PID, m.Process, m.At.Format(time.RFC3339), t.PID), nil
	}
	return false, "", nil
}

func (e *Engine) readKillMark(ctx context.Context, key string) (killMark, error) {
	var m killMark
	r, _, err := e.bucket.NewReader(ctx, key)
	if err != nil {
		return m, fmt.Errorf("reading kill record %s: %w", key, err)
	}
	defer r.Close()
	if err := json.NewDecoder(io.LimitReader(r, 64<<10)).Decode(&m); err != nil {
		return m, fmt.Errorf("decoding kill record %s: %w", key, err)
	}
	return m, nil
}

// errKillRecorded means an earlier delivery already recorded this kill.
var errKillRecorded = errors.New("an earlier delivery of this job already sent this kill; not sent again")

// recordKill writes the marker of the kill of t, create-if-absent, before
// the kill is sent. errKillRecorded when it exists.
func (e *Engine) recordKill(ctx context.Context, jobID string, t target) error {
	key := killMarkDir(jobID, t.Instance) + strconv.Itoa(t.PID) + ".json"
	data, err := json.Marshal(killMark{Job: jobID, Instance: t.Instance, PID: t.PID, Process: t.Name,
		Delivery: deliveryOf(ctx), At: e.cfg.Now().UTC()})
	if err != nil {
		return err
	}
	if err := blob.WriteAll(ctx, e.bucket, key, data, &blob.WriterOptions{ContentType: "application/json"}); errors.Is(err, blob.ErrExists) {
		return errKillRecorded
	} else if err != nil {
		return fmt.Errorf("recording the kill in %s: %w", key, err)
	}
	return nil
}
