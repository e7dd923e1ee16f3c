package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

func TestHandlerDeadLettersInvalidMessages(t *testing.T) {
	e := newTestEngine(t, newFakeKudu(), newMemBucket(), nil, fastConfig())
	h := e.Handler()
	job := testJob("app", messages.Action{}, messages.Selector{})
	done := &messages.JobCompleted{IncidentID: job.IncidentID, JobID: job.JobID, Site: job.Site, StartedAt: time.Now(), FinishedAt: time.Now()}
	wrongType, err := messages.Encode(messages.New(job.IncidentID, done, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"not json":   []byte("{"),
		"wrong type": wrongType,
		"bad field":  []byte(strings.Replace(string(mustEncode(t, job)), `"mini"`, `"huge"`, 1)),
	} {
		err := h.Handle(context.Background(), &queue.Received{Message: queue.Message{ID: "m", Body: body}})
		if !queue.IsPermanent(err) {
			t.Errorf("%s: err %v is not permanent", name, err)
		}
	}
}

func mustEncode(t *testing.T, j *messages.CaptureJob) []byte {
	t.Helper()
	b, err := messages.Encode(messages.New(j.IncidentID, j, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandlerRunsJobAndPublishes(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 2)
	pub := &memPublisher{}
	e := newTestEngine(t, k, newMemBucket(), pub, fastConfig())
	job := testJob("app", messages.Action{}, messages.Selector{})
	if err := e.Handler().Handle(context.Background(), &queue.Received{Message: queue.Message{ID: "m", Body: mustEncode(t, job)}}); err != nil {
		t.Fatal(err)
	}
	if pub.count(messages.TypeDumpCaptured) != 2 || pub.count(messages.TypeJobCompleted) != 1 {
		t.Fatalf("published %d envelopes", len(pub.envs))
	}
	for _, env := range pub.envs {
		if len(env.ID) > queue.MaxIDLength {
			t.Errorf("message id of %d bytes", len(env.ID))
		}
	}
}

func TestVerifier(t *testing.T) {
	good := fakeDump("x", 100)
	v := newVerifier()
	for i := 0; i < len(good); i += 3 { // byte-wise splits across the magic
		if _, err := v.Write(good[i:min(i+3, len(good))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.finish(100); err != nil || v.n != 100 || len(v.sum()) != 64 {
		t.Fatalf("good dump: %v", err)
	}
	if err := newVerifierWith(good[:20]).finish(0); !errors.Is(err, ErrShortDump) {
		t.Errorf("20 bytes: %v", err)
	}
	if err := newVerifierWith(good[:50]).finish(100); !errors.Is(err, ErrShortDump) {
		t.Errorf("50 of 100: %v", err)
	}
	bad := append([]byte("MDMX"), good[4:]...)
	if _, err := newVerifier().Write(bad[:4]); !errors.Is(err, ErrCorruptDump) {
		t.Errorf("bad magic: %v", err)
	}
	if _, err := newVerifier().Write([]byte("<h")); !errors.Is(err, ErrCorruptDump) {
		t.Errorf("html: %v", err)
	}
}

func newVerifierWith(b []byte) *verifier {
	v := newVerifier()
	_, _ = v.Write(b)
	return v
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{
		{DefaultStrategy: "copy"},
		{LockTTL: time.Second},
		{Retry: RetryPolicy{Jitter: 2}},
		{KillBudget: KillBudget{Max: -1}},
	} {
		if _, err := New(newFakeKudu(), newMemBucket(), nil, nil, c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	if _, err := New(nil, newMemBucket(), nil, nil, Config{}); err == nil {
		t.Error("nil kudu accepted")
	}
}

func TestMetricsCountOutcomes(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 2)
	inst := k.instances["app"][0]
	f := fault{err: &KuduError{Kind: ErrorKindTransient, StatusCode: 503, Err: errors.New("503")}}
	k.dumpFaults[fmt.Sprintf("app/%s/%d", inst, k.appPID("app", inst))] = []fault{f}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	e, err := New(k, newMemBucket(), nil, m, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{})); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.Dumps.WithLabelValues("captured")); got != 2 {
		t.Errorf("captured = %v", got)
	}
	if got := testutil.ToFloat64(m.Retries); got != 1 {
		t.Errorf("retries = %v", got)
	}
	if got := testutil.ToFloat64(m.Bytes.WithLabelValues("captured")); got != 2*4096 {
		t.Errorf("bytes = %v", got)
	}
	if got := testutil.ToFloat64(m.InFlight); got != 0 {
		t.Errorf("in flight = %v", got)
	}
}
