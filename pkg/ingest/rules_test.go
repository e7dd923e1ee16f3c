package ingest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

func TestRuleFiredMakesOneNarrowIncident(t *testing.T) {
	pc, err := policy.Parse([]byte(`{"allow": {"subscriptions": ["` + sub + `"]}, "policies": []}`))
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := NewTokenAuth(testToken)
	b, q := ingesttest.NewBucket(), ingesttest.NewQueue()
	s, err := New(Config{Policies: pc, Queue: q, Bucket: b, Auth: auth, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f := autoheal.Firing{Rule: "leak", Site: appID, Instance: "DW1SDWK00003C", MachineName: "DW1SDWK00003C", PID: 4120,
		Process: "w3wp", Trigger: "privateBytesInKB", Reason: "private bytes 3 GB above 2 GB",
		Action: autoheal.Action{Kind: autoheal.ActionCollectKill, DumpType: "full"}, At: time.Now()}
	acc, err := s.RuleFired(context.Background(), f)
	if err != nil || acc.Jobs != 1 {
		t.Fatalf("RuleFired = %+v, %v", acc, err)
	}
	again, err := s.RuleFired(context.Background(), f)
	if err != nil || !again.Duplicate || again.IncidentID != acc.IncidentID {
		t.Fatalf("second RuleFired = %+v, %v; want the same incident, duplicate", again, err)
	}
	msgs := q.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d jobs sent, want 1", len(msgs))
	}
	env, err := messages.Decode(msgs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	job := env.Payload.(*messages.CaptureJob)
	if job.Trigger.Kind != "rule" || job.Trigger.Rule != "leak" || !strings.Contains(job.Trigger.Reason, "private bytes") ||
		!job.Action.Kill || job.Action.DumpType != "full" ||
		len(job.Selector.PIDs) != 1 || job.Selector.PIDs[0] != 4120 || job.Selector.MachineNames[0] != "DW1SDWK00003C" {
		t.Fatalf("job %+v", job)
	}

	// Outside the allowlist: refused.
	f.Site = strings.Replace(appID, sub, "99999999-0000-0000-0000-000000000000", 1)
	if _, err := s.RuleFired(context.Background(), f); !errors.As(err, new(*OutsideAllowlistError)) {
		t.Fatalf("outside allowlist: %v", err)
	}
	// Log-only: nothing.
	f.Site, f.Action = appID, autoheal.Action{Kind: autoheal.ActionLog}
	if acc, err := s.RuleFired(context.Background(), f); err != nil || acc.IncidentID != "" {
		t.Fatalf("log-only firing made %+v, %v", acc, err)
	}
}
