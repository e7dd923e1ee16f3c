package fileblob

import (
	"strings"
	"testing"
)

func sampleSidecar() sidecar {
	return sidecar{Version: sidecarVersion, Key: "incidents/i/manifest.json", Size: 12,
		SHA256: strings.Repeat("ab", 32), ContentType: "application/json", Metadata: map[string]string{"app": "shop"}}
}

func TestSidecarRoundTripAndDamage(t *testing.T) {
	data, err := encodeSidecar(sampleSidecar())
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSidecar(data)
	if err != nil || got.Key != "incidents/i/manifest.json" || got.Metadata["app"] != "shop" || got.Size != 12 {
		t.Fatalf("decodeSidecar = %+v, %v", got, err)
	}
	// Every single flipped bit is detected (by the JSON parser or the CRC).
	for i := range len(data) - 1 { // the last byte is the newline
		for bit := range 8 {
			bad := []byte(string(data))
			bad[i] ^= 1 << bit
			if sc, err := decodeSidecar(bad); err == nil && sc.Metadata["app"] == "shop" && sc.Key == "incidents/i/manifest.json" && sc.Size == 12 && sc.ContentType == "application/json" && sc.SHA256 == strings.Repeat("ab", 32) {
				continue // whitespace-equivalent change, same attributes
			} else if err == nil {
				t.Fatalf("bit %d of byte %d flipped: decoded %+v without error", bit, i, sc)
			}
		}
	}
}

func FuzzDecodeSidecar(f *testing.F) {
	data, _ := encodeSidecar(sampleSidecar())
	f.Add(data)
	f.Add([]byte(`{"attrs":{},"crc32c":"00000000"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		sc, err := decodeSidecar(p)
		if err == nil && (sc.Version != sidecarVersion || len(sc.SHA256) != 64 || sc.Size < 0) {
			t.Fatalf("accepted invalid attributes %+v", sc)
		}
	})
}
