package blob_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
)

func TestValidateKey(t *testing.T) {
	for _, key := range []string{
		"a", "a/b", "dumps/2024-01-01/inc/site/inst/w3wp-42.dmp", "...", ".hidden/x", "a/.../b",
		"locks/sites/my app", "ünïcode/ok", ".dumpflowx/y", strings.Repeat("k", blob.MaxKeyLength),
	} {
		if err := blob.ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range append(blobtest.BadKeys, ".dumpflow", "a/.", "a\u0085b") {
		err := blob.ValidateKey(key)
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("ValidateKey(%.40q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestValidateMetadata(t *testing.T) {
	ok := map[string]string{"incident": "inc-1", "dump_type": "full", "_x": "", "k9": "a b c"}
	if err := blob.ValidateMetadata(ok); err != nil {
		t.Errorf("ValidateMetadata(%v) = %v", ok, err)
	}
	if err := blob.ValidateMetadata(nil); err != nil {
		t.Errorf("ValidateMetadata(nil) = %v", err)
	}
	big := map[string]string{}
	for i := range 8 {
		big[string(rune('a'+i))] = strings.Repeat("v", blob.MaxMetadataSize/8-1)
	}
	if err := blob.ValidateMetadata(big); err != nil {
		t.Errorf("metadata just under the size limit: %v", err)
	}
	big["z"] = strings.Repeat("v", 8)
	if err := blob.ValidateMetadata(big); !errors.Is(err, blob.ErrInvalidMetadata) {
		t.Errorf("metadata over the size limit: %v, want ErrInvalidMetadata", err)
	}
}

func TestValidateLeaseTTL(t *testing.T) {
	for _, c := range []struct {
		ttl string
		ok  bool
	}{{"15s", true}, {"60s", true}, {"30s", true}, {"14.999s", false}, {"61s", false}, {"0s", false}} {
		d, _ := time.ParseDuration(c.ttl)
		if err := blob.ValidateLeaseTTL(d); (err == nil) != c.ok || (err != nil && !errors.Is(err, blob.ErrInvalidLeaseTTL)) {
			t.Errorf("ValidateLeaseTTL(%s) = %v", c.ttl, err)
		}
	}
}

// FuzzValidateKey checks that every accepted key maps to a path that stays
// under the bucket directory, and that validation never panics.
func FuzzValidateKey(f *testing.F) {
	for _, k := range append(blobtest.BadKeys, "a/b", "dumps/x.dmp", "a/...", "..a/b..") {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if blob.ValidateKey(key) != nil {
			return
		}
		root := "/bucket"
		p := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(p, root+"/") || p != root+"/"+key {
			t.Fatalf("valid key %q maps to %q", key, p)
		}
		if strings.HasPrefix(key, blob.ReservedPrefix) {
			t.Fatalf("valid key %q is in the reserved namespace", key)
		}
	})
}
