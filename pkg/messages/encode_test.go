package messages

import (
	"bytes"
	"encoding/json"
	"testing"
)

// oldEncode is Encode as it was before it marshalled the payload in
// place: the payload marshalled alone, then the envelope around it.
func oldEncode(e Envelope) ([]byte, error) {
	raw, err := json.Marshal(e.Payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(wireEnvelope{
		Type: e.Type, Version: e.Version, ID: e.ID, IncidentID: e.IncidentID,
		TraceParent: e.TraceParent, CreatedAt: e.CreatedAt, Payload: raw,
	})
}

// oldEncodeManifest is EncodeManifest as it was: an indenting Encoder.
func oldEncodeManifest(m *Manifest) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(m)
	return buf.Bytes()
}

// tricky is text that encoders escape: HTML, U+2028, control characters,
// a quote, a backslash and non-ASCII.
const tricky = "<a href=\"x\">&amp;</a> \u2028\u2029 \x01\t \\ é 😀"

// TestEncodeBytesUnchanged pins the wire and stored bytes to the forms
// the previous encoders wrote, for payloads full of escapes.
func TestEncodeBytesUnchanged(t *testing.T) {
	job := sampleJob()
	job.Trigger.Reason, job.Trigger.Rule, job.Selector.NameRegex = tricky, tricky, tricky
	done := sampleDone()
	done.Error, done.Targets[1].Reason = tricky, tricky
	dump := sampleDump()
	dump.Process = tricky
	for _, p := range []Payload{sampleJob(), sampleDump(), sampleDone(), job, done, dump} {
		env := New(incident, p, t0)
		for _, tp := range []string{"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
			env.TraceParent = tp
			got, err := Encode(env)
			if err != nil {
				t.Fatal(err)
			}
			want, err := oldEncode(env)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: Encode wrote\n%s\nbefore it wrote\n%s", env.Type, got, want)
			}
		}
	}
	for _, j := range []*CaptureJob{sampleJob(), job} {
		m := &Manifest{Version: Version, IncidentID: incident, CreatedAt: t0, Trigger: j.Trigger, Action: j.Action,
			Selector: j.Selector, Jobs: []ManifestJob{{JobID: JobID(incident, site), Site: site}}, Policy: tricky}
		got, err := EncodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := oldEncodeManifest(m); !bytes.Equal(got, want) {
			t.Fatalf("EncodeManifest wrote\n%s\nbefore it wrote\n%s", got, want)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	env := New(incident, sampleJob(), t0)
	env.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeManifest(b *testing.B) {
	j := sampleJob()
	m := &Manifest{Version: Version, IncidentID: incident, CreatedAt: t0, Trigger: j.Trigger, Action: j.Action,
		Selector: j.Selector, Jobs: []ManifestJob{{JobID: JobID(incident, site), Site: site}}, Policy: "all"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeManifest(m); err != nil {
			b.Fatal(err)
		}
	}
}
