package filequeue

import (
	"errors"
	"reflect"
	"testing"
)

func sampleRecords() []*record {
	return []*record{
		{},
		{ID: "job-1", Body: []byte(`{"type":"CaptureJob"}`), EnqueuedAt: 1, VisibleAt: 2},
		{
			ID: "dumped", Body: []byte{0, 0xff}, Properties: map[string]string{"type": "DumpCaptured", "": "", "ü": "✓"},
			EnqueuedAt: 1764000000000000000, ScheduledAt: -5, DeliveryCount: 7, LockToken: "1f.abc",
			LockedUntil: 1764000060000000000, VisibleAt: 1764000060000000000,
			Reason: "MaxDeliveryCountExceeded", Description: "abandoned on delivery 10", DeadLetterAt: 9,
		},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range sampleRecords() {
		got, err := decodeRecord(r.encode())
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
		}
	}
}

func TestDecodeRecordRejectsGarbage(t *testing.T) {
	good := sampleRecords()[2].encode()
	for name, b := range map[string][]byte{
		"empty":           nil,
		"wrong version":   append([]byte{9}, good[1:]...),
		"truncated":       good[:len(good)-3],
		"trailing bytes":  append(append([]byte(nil), good...), 0),
		"huge length":     {recordVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge prop count": {recordVersion, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		if _, err := decodeRecord(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: err = %v, want errCorrupt", name, err)
		}
	}
}

// FuzzDecodeRecord feeds the stored-record decoder arbitrary bytes: it
// must never panic, and whatever it accepts must re-encode to an
// equivalent record.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range sampleRecords() {
		f.Add(r.encode())
	}
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v does not wrap errCorrupt", err)
			}
			return
		}
		again, err := decodeRecord(r.encode())
		if err != nil {
			t.Fatalf("re-decode of an accepted record: %v", err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encode changed the record:\n%+v\n%+v", r, again)
		}
	})
}

func TestParseLockToken(t *testing.T) {
	if seq, err := parseLockToken(newLockToken(0x2a)); err != nil || seq != 0x2a {
		t.Fatalf("parse(new(42)) = %d, %v", seq, err)
	}
	for _, tok := range []string{"", "nodot", "zz.abc", "1ffffffffffffffff.x"} {
		if _, err := parseLockToken(tok); err == nil {
			t.Errorf("parseLockToken(%q) succeeded", tok)
		}
	}
}
