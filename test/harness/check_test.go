package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

func put(t *testing.T, b blob.Bucket, key string, data []byte, md map[string]string) {
	t.Helper()
	w, err := b.NewWriter(context.Background(), key, &blob.WriterOptions{Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// Check classifies each target of a job: captured (byte-identical to the
// simulator's), failed, lost, vanished, corrupt; and a dump request for a
// committed key as a duplicate request.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	b, err := fileblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t0 := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	site := messages.Site{ResourceID: testApp, SubscriptionID: testSub, ResourceGroup: "rg", Name: "shop"}
	inc := messages.IncidentID(t0, "manual", "check-test")
	job := messages.JobID(inc, site)
	m := &messages.Manifest{Version: messages.Version, IncidentID: inc, CreatedAt: t0,
		Trigger: messages.Trigger{Kind: "manual", Source: "test", FiredAt: t0}, Action: messages.Action{DumpType: messages.DumpMini},
		Jobs: []messages.ManifestJob{{JobID: job, Site: site}}}
	md, err := messages.EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, layout.ManifestKey(inc), md, nil)

	good, bad := []byte("MDMP good dump bytes"), []byte("MDMP bytes the simulator never sent")
	key := func(in string, pid int) string { return layout.DumpKey(t0, inc, "shop", in, "w3wp", pid) }
	meta := func(in, pid string) map[string]string {
		return map[string]string{worker.MetaIncident: inc, worker.MetaApp: "shop", worker.MetaInstance: in, worker.MetaPID: pid}
	}
	put(t, b, key("i1", 10), good, meta("i1", "10"))
	put(t, b, key("i5", 50), bad, meta("i5", "50"))
	committed := time.Now()

	jc := messages.JobCompleted{IncidentID: inc, JobID: job, Site: site, StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(5 * time.Second),
		Instances: []string{"i1", "i2", "i3", "i4", "i5"}, Targets: []messages.TargetResult{
			{Instance: "i1", PID: 10, Process: "w3wp", Outcome: messages.OutcomeCaptured, DumpKey: key("i1", 10), Bytes: int64(len(good)), SHA256: hexSHA(good), Attempts: 1},
			{Instance: "i2", PID: 20, Process: "w3wp", Outcome: messages.OutcomeFailed, Reason: "dump failed after 4 attempt(s): 503 Service Unavailable", Attempts: 4},
			{Instance: "i5", PID: 50, Process: "w3wp", Outcome: messages.OutcomeCaptured, DumpKey: key("i5", 50), Bytes: int64(len(bad)), SHA256: hexSHA(bad), Attempts: 1},
		}}
	jd, err := json.Marshal(&jc)
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, layout.JobKey(inc, "shop"), jd, nil)

	truth := Truth{
		Initial: sim.Info{Apps: []sim.AppInfo{{Name: "shop", Instances: []string{"i1", "i2", "i3", "i4", "i5", "i6"}}}},
		Events: []sim.Event{
			{Kind: sim.EventScaleIn, App: "shop", Instance: "i6", Time: t0.Add(-time.Second)},    // gone before the job
			{Kind: sim.EventScaleIn, App: "shop", Instance: "i4", Time: t0.Add(2 * time.Second)}, // gone during it
			{Kind: sim.EventDump, App: "shop", Instance: "i1", PID: 10, Complete: true, Size: int64(len(good)), SHA256: hexSHA(good)},
			{Kind: sim.EventDump, App: "shop", Instance: "i5", PID: 50, Complete: true, Size: int64(len(good)), SHA256: hexSHA(good)},
		},
		Requests: []DumpRequest{
			{Start: t0.Add(2 * time.Second), App: "shop", Instance: "i1", PID: 10},    // the dump itself
			{Start: committed.Add(time.Second), App: "shop", Instance: "i1", PID: 10}, // after the commit
			{Start: t0.Add(-time.Hour), App: "shop", Instance: "i1", PID: 10},         // before the incident
		},
	}
	s, err := Check(ctx, b, nil, truth)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Incidents: 1, Jobs: 1, Targets: 4, Captured: 1, Bytes: int64(len(good)), Failed: 1, Lost: 1, Vanished: 1,
		Corrupt: 1, DuplicateRequests: 1, DumpRequests: 3}
	got := *s
	got.FailedReasons, got.LostDetail, got.CorruptDetail, got.DuplicateDetail, got.DeadLetteredReasons = nil, nil, nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
	if s.FailedReasons["503 Service Unavailable"] != 1 {
		t.Errorf("failed reasons %v", s.FailedReasons)
	}
	if s.OK() || len(s.Problems()) != 3 {
		t.Errorf("OK %t, problems %v", s.OK(), s.Problems())
	}
}

func TestReasonClass(t *testing.T) {
	for in, want := range map[string]string{
		"dump failed after 4 attempt(s): gave up after 4 attempts: kudu: dump process 6300: GET http://127.0.0.1:46125/app47/api/processes/6300/dump?dumpType=0&format=raw: 429 Too Many Requests": "gave up after 4 attempts: kudu: dump process N: GET URL: 429 Too Many Requests",
		"listing processes on instance 4c4b6f14c249…: the instance no longer exists":                                                                                                               "listing processes on instance ID: the instance no longer exists",
	} {
		if got := reasonClass(in); got != want {
			t.Errorf("reasonClass(%q)\n= %q\nwant %q", in, got, want)
		}
	}
}
