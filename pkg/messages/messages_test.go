package messages

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	t0   = time.Date(2026, 11, 26, 13, 30, 0, 0, time.UTC)
	site = Site{
		ResourceID:     "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Microsoft.Web/sites/contoso",
		SubscriptionID: "00000000-0000-0000-0000-000000000001",
		ResourceGroup:  "rg-web",
		Name:           "contoso",
	}
	incident = IncidentID(t0, "alert-1", t0.Format(time.RFC3339))
)

func sampleJob() *CaptureJob {
	return &CaptureJob{
		JobID:        JobID(incident, site),
		IncidentID:   incident,
		Site:         site,
		IncidentTime: t0,
		Trigger:      Trigger{Kind: "alert", Source: "azure-common", Rule: "High memory", AlertID: "alert-1", Severity: "Sev2", FiredAt: t0, Reason: "Memory working set above 3 GB"},
		Action:       Action{DumpType: DumpFull, Kill: true, Strategy: StrategyDirect, Analyze: true},
		Selector:     Selector{Names: []string{"w3wp"}, MachineNames: []string{"DW1SDWK00003C"}, MinAgeSeconds: 60},
	}
}

func sampleDump() *DumpCaptured {
	return &DumpCaptured{
		IncidentID: incident, JobID: JobID(incident, site), Site: site,
		Instance: strings.Repeat("ab", 32), MachineName: "DW1SDWK00003C", PID: 4120, Process: "w3wp",
		DumpType: DumpFull, DumpKey: "dumps/2026-11-26/" + incident + "/contoso/abab/w3wp-4120.dmp",
		Bytes: 1 << 30, SHA256: strings.Repeat("0f", 32), Attempts: 2, DurationMS: 41234,
		CapturedAt: t0.Add(time.Minute), Analyze: true,
	}
}

func sampleDone() *JobCompleted {
	return &JobCompleted{
		IncidentID: incident, JobID: JobID(incident, site), Site: site,
		StartedAt: t0, FinishedAt: t0.Add(2 * time.Minute),
		Instances: []string{"inst-a", "inst-b"},
		Targets: []TargetResult{
			{Instance: "inst-a", PID: 4120, Process: "w3wp", Outcome: OutcomeCaptured, Attempts: 1,
				DumpKey: "dumps/x.dmp", Bytes: 100, SHA256: strings.Repeat("0f", 32), Kill: &Kill{Done: true, NewPID: 5120}},
			{Instance: "inst-b", Outcome: OutcomeFailed, Reason: "Kudu answered 503 five times", Attempts: 5},
		},
	}
}

func TestGoldenWireForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Payload
	}{
		{"capture_job", sampleJob()},
		{"dump_captured", sampleDump()},
		{"job_completed", sampleDone()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := New(incident, tc.p, t0)
			env.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			got, err := Encode(env)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), got) {
				t.Fatalf("wire form changed:\n got %s\nwant %s", got, want)
			}
			// The golden form decodes back to the same envelope.
			back, err := Decode(want)
			if err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			again, err := Encode(back)
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("round trip differs: %v\n%s", err, again)
			}
		})
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	good, err := Encode(New(incident, sampleJob(), t0))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to, field string
	}{
		{"unknown type", `"type":"capture_job"`, `"type":"capture_jobs"`, "type"},
		{"future version", `"version":1`, `"version":2`, "version"},
		{"missing id", `"id":"job:` + JobID(incident, site) + `"`, `"id":""`, "id"},
		{"unknown field", `"kill":true`, `"kill":true,"explode":1`, "payload.explode"},
		{"bad dump type", `"dump_type":"full"`, `"dump_type":"huge"`, "payload.action.dump_type"},
		{"wrong json type", `"min_age_seconds":60`, `"min_age_seconds":"60"`, "payload.selector.min_age_seconds"},
		{"bad regex", `"names":["w3wp"]`, `"names":["w3wp"],"name_regex":"("`, "payload.selector.name_regex"},
		{"bad site", `/providers/Microsoft.Web/sites/contoso"`, `/providers/Microsoft.Compute/vms/contoso"`, "payload.site.resource_id"},
		{"job id mismatch", `"job_id":"` + JobID(incident, site) + `"`, `"job_id":"other"`, "payload.job_id"},
		{"bad incident", `"incident_id":"` + incident + `"`, `"incident_id":"../etc"`, "incident_id"},
		{"bad traceparent", `"traceparent":"`, `"traceparent":"zz`, "traceparent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := string(good)
			if tc.name == "bad traceparent" {
				src = strings.Replace(src, `"created_at"`, `"traceparent":"nope","created_at"`, 1)
			} else {
				if !strings.Contains(src, tc.from) {
					t.Fatalf("fixture lacks %s", tc.from)
				}
				src = strings.Replace(src, tc.from, tc.to, 1)
			}
			_, err := Decode([]byte(src))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode error = %v, want *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Fatalf("field = %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, in := range []string{"", "{", "[]", `{"type":"capture_job"} {}`, strings.Repeat(" ", MaxEnvelopeSize+1)} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%.20q) succeeded", in)
		}
	}
}

func TestIDsAreDeterministic(t *testing.T) {
	a := IncidentID(t0, "alert-1", "x")
	if a != IncidentID(t0, "alert-1", "x") {
		t.Fatal("not deterministic")
	}
	if a == IncidentID(t0, "alert-1x", "") || a == IncidentID(t0.Add(time.Second), "alert-1", "x") {
		t.Fatal("distinct inputs collide")
	}
	if err := checkID("incident_id", a); err != nil {
		t.Fatal(err)
	}
	slot := site
	slot.Slot = "Staging"
	if JobID(incident, slot) == JobID(incident, site) || !strings.HasSuffix(JobID(incident, slot), "contoso_staging") {
		t.Fatalf("slot job id %q", JobID(incident, slot))
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{Version: Version, IncidentID: incident, CreatedAt: t0,
		Trigger: sampleJob().Trigger, Action: sampleJob().Action,
		Jobs: []ManifestJob{{JobID: JobID(incident, site), Site: site}}}
	b, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Jobs[0].Site != site || !back.CreatedAt.Equal(t0) {
		t.Fatalf("round trip lost data: %+v", back)
	}
	m.Jobs[0].JobID = "x"
	if _, err := EncodeManifest(m); err == nil {
		t.Fatal("manifest with wrong job id encoded")
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []Payload{sampleJob(), sampleDump(), sampleDone()} {
		b, err := Encode(New(incident, p, t0))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"job_completed","version":1,"payload":null}`))
	// The same with a series on each message.
	job, dump, done := sampleJob(), sampleDump(), sampleDone()
	job.Action.Series = &Series{Count: 3, IntervalSeconds: 10}
	ref := &SeriesRef{ID: SeriesID(dump.JobID, dump.Instance, dump.PID), Index: 2, Count: 3, IntervalSeconds: 10}
	dump.Series, done.Targets[0].Series = ref, ref
	for _, p := range []Payload{job, dump, done} {
		b, err := Encode(New(incident, p, t0))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Decode(data)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same bytes.
		b, err := Encode(env)
		if err != nil {
			t.Fatalf("decoded envelope does not encode: %v", err)
		}
		env2, err := Decode(b)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		b2, _ := Encode(env2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("unstable encoding")
		}
	})
}

func TestLongKeysGiveShortDeterministicIDs(t *testing.T) {
	long := site
	long.Name = strings.Repeat("a", 60)
	long.Slot = strings.Repeat("b", 60)
	long.ResourceID = "/subscriptions/" + long.SubscriptionID + "/resourceGroups/" + long.ResourceGroup + "/providers/Microsoft.Web/sites/" + long.Name + "/slots/" + long.Slot
	j := sampleJob()
	j.Site, j.JobID = long, JobID(incident, long)
	env := New(incident, j, t0)
	if len(env.ID) > MaxIDLength || !strings.HasPrefix(env.ID, "job:sha256:") {
		t.Fatalf("id %q (%d bytes)", env.ID, len(env.ID))
	}
	if env.ID != New(incident, j, t0.Add(time.Hour)).ID {
		t.Fatal("id not deterministic")
	}
	if _, err := Encode(env); err != nil {
		t.Fatalf("long-named slot job does not encode: %v", err)
	}
}

func TestConditionSummary(t *testing.T) {
	c := Condition{Metric: "MemoryWorkingSet", Operator: "GreaterThan", Threshold: "1500000000", Observed: "1.83e9", Aggregation: "Average", Window: "PT5M"}
	if got := c.Summary(); got != "MemoryWorkingSet (Average) was 1.83e9 GreaterThan 1500000000 over PT5M" {
		t.Errorf("summary %q", got)
	}
	q := Condition{Query: "requests\n| where resultCode == 500", Operator: "GreaterThan", Threshold: "10", Observed: "42"}
	if got := q.Summary(); got != "query requests | where resultCode == 500 was 42 GreaterThan 10" {
		t.Errorf("query summary %q", got)
	}
}
