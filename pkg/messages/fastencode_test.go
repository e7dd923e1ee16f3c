package messages

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fillAll sets every field reachable from v (a pointer) to a non-zero
// value derived from s, so that a field the hand-written encoders miss
// shows up as a difference from json.Marshal.
func fillAll(v reflect.Value, s string, n int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillAll(v.Elem(), s, n)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 26, 13, 30, 0, n, time.FixedZone("x", 3600))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), s+v.Type().Field(i).Name, n+i)
			}
		}
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(n + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		sl := reflect.MakeSlice(v.Type(), 2, 2)
		fillAll(sl.Index(0).Addr(), s+"0", n)
		fillAll(sl.Index(1).Addr(), s+"1", n+1)
		v.Set(sl)
	}
}

// checkFast compares the hand-written encodings of job and m with
// encoding/json's.
func checkFast(t *testing.T, job *CaptureJob, m *Manifest, traceParent string) {
	t.Helper()
	env := Envelope{Type: TypeCaptureJob, Version: Version, ID: "job:" + job.JobID, IncidentID: job.IncidentID,
		TraceParent: traceParent, CreatedAt: job.IncidentTime, Payload: job}
	want, werr := json.Marshal(outEnvelope{Type: env.Type, Version: env.Version, ID: env.ID, IncidentID: env.IncidentID,
		TraceParent: env.TraceParent, CreatedAt: env.CreatedAt, Payload: job})
	got, ok := appendJobEnvelope(nil, &env, job)
	if ok != (werr == nil) || ok && !bytes.Equal(got, want) {
		t.Fatalf("job envelope:\n got %s (ok %v)\nwant %s (%v)", got, ok, want, werr)
	}
	want, werr = json.Marshal(m)
	got, ok = appendManifest(nil, m)
	if ok != (werr == nil) || ok && !bytes.Equal(got, want) {
		t.Fatalf("manifest:\n got %s (ok %v)\nwant %s (%v)", got, ok, want, werr)
	}
}

func TestFastEncodeMatchesJSON(t *testing.T) {
	var fullJob CaptureJob
	fillAll(reflect.ValueOf(&fullJob), tricky, 7)
	var fullManifest Manifest
	fillAll(reflect.ValueOf(&fullManifest), tricky, 3)
	sel := Selector{PIDs: []int{-1}}
	for _, c := range []struct {
		job *CaptureJob
		m   *Manifest
	}{
		{sampleJob(), &Manifest{Version: Version, IncidentID: incident, CreatedAt: t0, Trigger: sampleJob().Trigger,
			Action: sampleJob().Action, Selector: sampleJob().Selector, Jobs: []ManifestJob{{JobID: JobID(incident, site), Site: site}}}},
		{&fullJob, &fullManifest},
		{&CaptureJob{}, &Manifest{}},
		{&CaptureJob{Selector: sel}, &Manifest{Jobs: []ManifestJob{}, Selector: Selector{MaxCount: -3}}},
		{&CaptureJob{IncidentTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, &Manifest{CreatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		for _, tp := range []string{"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
			checkFast(t, c.job, c.m, tp)
		}
	}
}

// TestFastEncodeKnowsEveryField fails when a field is added to a type
// the hand-written encoders write: add it to fastencode.go (in its JSON
// order, with its omitempty), then update the count here.
func TestFastEncodeKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		typ    reflect.Type
		fields int
	}{
		{reflect.TypeFor[Envelope](), 7}, {reflect.TypeFor[CaptureJob](), 7}, {reflect.TypeFor[Site](), 5},
		{reflect.TypeFor[Trigger](), 7}, {reflect.TypeFor[Action](), 4}, {reflect.TypeFor[Selector](), 9},
		{reflect.TypeFor[Manifest](), 8}, {reflect.TypeFor[ManifestJob](), 2},
	} {
		if n := c.typ.NumField(); n != c.fields {
			t.Errorf("%s has %d fields; fastencode.go writes %d: teach it the new ones", c.typ, n, c.fields)
		}
	}
}

func FuzzFastEncode(f *testing.F) {
	f.Add("a", tricky, "", int64(0), 0, true, false)
	f.Add("\xff\xfe", "\u2028<>&", "x\x00", int64(1e18), -5, false, true)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, nanos int64, n int, b1, b2 bool) {
		at := time.Unix(0, nanos).In(time.FixedZone("z", n%86400))
		site := Site{ResourceID: s1, SubscriptionID: s2, ResourceGroup: s3, Name: s1, Slot: s3}
		tr := Trigger{Kind: s1, Source: s2, Rule: s3, AlertID: s2, Severity: s3, FiredAt: at, Reason: s1}
		act := Action{DumpType: s2, Kill: b1, Strategy: s3, Analyze: b2}
		sel := Selector{NameRegex: s3, Children: b1, Largest: b2, MinAgeSeconds: n, MaxCount: -n}
		if b1 {
			sel.Names, sel.PIDs, sel.Instances = []string{s1, s2}, []int{n, 1}, []string{s3}
		}
		if b2 {
			sel.MachineNames = []string{strings.Repeat(s2, 2)}
		}
		job := &CaptureJob{JobID: s1, IncidentID: s2, Site: site, IncidentTime: at, Trigger: tr, Action: act, Selector: sel}
		m := &Manifest{Version: n, IncidentID: s3, CreatedAt: at, Trigger: tr, Action: act, Selector: sel, Policy: s2}
		if b1 {
			m.Jobs = []ManifestJob{{JobID: s2, Site: site}}
		}
		checkFast(t, job, m, s3)
	})
}
