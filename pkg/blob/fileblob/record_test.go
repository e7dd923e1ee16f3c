package fileblob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"testing"
	"time"
)

func sampleRecord() *record {
	return &record{
		modTime: time.Unix(1_790_000_000, 123456789),
		id:      0xfeedface,
		attrs:   storedAttrs{ContentType: "application/json", Metadata: map[string]string{"sha256": "ab12", "app": "shop"}},
		content: []byte(`{"incident":"i1"}`),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []*record{sampleRecord(), {modTime: time.Unix(0, 0), attrs: storedAttrs{ContentType: "x"}, content: []byte{}}} {
		got, err := decodeRecord("k", encodeRecord(r))
		if err != nil {
			t.Fatal(err)
		}
		if !got.modTime.Equal(r.modTime) || got.id != r.id || got.attrs.ContentType != r.attrs.ContentType ||
			!maps.Equal(got.attrs.Metadata, r.attrs.Metadata) || !bytes.Equal(got.content, r.content) {
			t.Errorf("decoded %+v, want %+v", got, r)
		}
	}
}

func TestRecordDamage(t *testing.T) {
	enc := encodeRecord(sampleRecord())
	cases := map[string][]byte{
		"empty":     {},
		"truncated": enc[:len(enc)-5],
		"version":   append([]byte{9}, enc[1:]...),
		"extra":     append(append([]byte{}, enc...), 0),
	}
	for i := range enc {
		flipped := bytes.Clone(enc)
		flipped[i] ^= 0x40
		cases["flip"] = flipped
		for name, p := range cases {
			if _, err := decodeRecord("k", p); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s (byte %d): %v, want ErrCorrupt", name, i, err)
			}
		}
	}
}

// FuzzDecodeRecord checks that no input makes the decoder panic and that
// whatever it accepts encodes back to the same meaning. The input is
// decoded as is and with a valid checksum appended, so that the fuzzer
// reaches the field parser behind the checksum.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range []*record{sampleRecord(), {}} {
		enc := encodeRecord(r)
		f.Add(enc)
		f.Add(enc[:len(enc)-4])
	}
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, p []byte) {
		checkDecode(t, p)
		checkDecode(t, binary.BigEndian.AppendUint32(bytes.Clone(p), crc32.Checksum(p, castagnoli)))
	})
}

func checkDecode(t *testing.T, p []byte) {
	r, err := decodeRecord("k", p)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
		return
	}
	r2, err := decodeRecord("k", encodeRecord(r))
	if err != nil {
		t.Fatalf("re-encoded record does not decode: %v", err)
	}
	if !bytes.Equal(r2.content, r.content) || !maps.Equal(r2.attrs.Metadata, r.attrs.Metadata) || r2.id != r.id {
		t.Fatal("re-encoded record differs")
	}
}
