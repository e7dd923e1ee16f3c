package worker

import (
	"context"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// startSim starts a simulator and returns it with an adapter over pkg/kudu
// pointed at it.
func startSim(t *testing.T, cfg sim.Config) (*sim.Server, *KuduClient) {
	t.Helper()
	if cfg.DumpSize == 0 {
		cfg.DumpSize = 1 << 20
	}
	if cfg.DumpWriteTime == 0 {
		cfg.DumpWriteTime = 5 * time.Millisecond
	}
	srv, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, simKudu(t, srv.Info(), KuduOptions{})
}

func simKudu(t *testing.T, info sim.Info, opts KuduOptions) *KuduClient {
	t.Helper()
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Staged == nil {
		opts.Staged = func(cl *kudu.Client) (kudu.Dumper, error) {
			return kudu.NewStaged(cl, kudu.StagedConfig{PollInterval: 10 * time.Millisecond})
		}
	}
	return NewKuduClient(arm, kudu.Config{}, opts)
}

// simSite turns a simulated app into a messages.Site.
func simSite(t *testing.T, a sim.AppInfo) messages.Site {
	t.Helper()
	id, err := kudu.ParseSiteID(a.ResourceID)
	if err != nil {
		t.Fatal(err)
	}
	return messages.Site{ResourceID: a.ResourceID, SubscriptionID: id.Subscription, ResourceGroup: id.ResourceGroup, Name: id.Name, Slot: id.Slot}
}

func simJob(t *testing.T, incident string, a sim.AppInfo, act messages.Action, sel messages.Selector) *messages.CaptureJob {
	t.Helper()
	st := simSite(t, a)
	if act.DumpType == "" {
		act.DumpType = messages.DumpMini
	}
	j := &messages.CaptureJob{
		JobID: messages.JobID(incident, st), IncidentID: incident, Site: st, IncidentTime: incidentTime,
		Trigger: messages.Trigger{Kind: "manual", Source: "test", FiredAt: incidentTime},
		Action:  act, Selector: sel,
	}
	if err := j.Validate(); err != nil {
		t.Fatal(err)
	}
	return j
}

func openBucket(t *testing.T, dir string) *fileblob.Bucket {
	t.Helper()
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// simEvents returns the simulator's events of one kind.
func simEvents(srv *sim.Server, kind string) []sim.Event {
	var out []sim.Event
	for _, e := range srv.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func simEngine(t *testing.T, k Kudu, dir string, pub Publisher, mut func(*Config)) *Engine {
	t.Helper()
	cfg := Config{
		Concurrency: 8,
		Retry:       RetryPolicy{MaxAttempts: 8, InitialInterval: 5 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxElapsed: 30 * time.Second},
		LockPollMin: 5 * time.Millisecond, LockPollMax: 50 * time.Millisecond,
		KillConfirmPoll: 10 * time.Millisecond, KillConfirmTimeout: 5 * time.Second,
	}
	if mut != nil {
		mut(&cfg)
	}
	e, err := New(k, openBucket(t, dir), pub, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var bg = context.Background()

// simKuduNoT is simKudu for helper processes (no *testing.T).
func simKuduNoT(info sim.Info) *KuduClient {
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		panic(err)
	}
	return NewKuduClient(arm, kudu.Config{}, KuduOptions{})
}

func openBucketNoT(dir string) (*fileblob.Bucket, error) { return fileblob.Open(dir) }
