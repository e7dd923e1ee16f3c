package ingest

import (
	"net/url"
	"testing"
)

func checkQueryParam(t *testing.T, raw string) {
	want, _ := url.ParseQuery(raw)
	for _, key := range []string{"dry_run", "token"} {
		if got := queryParam(raw, key); got != want.Get(key) {
			t.Fatalf("queryParam(%q, %q) = %q, url.ParseQuery says %q", raw, key, got, want.Get(key))
		}
	}
}

func TestQueryParam(t *testing.T) {
	for _, raw := range []string{"", "dry_run=1", "token=x&dry_run=true", "dry%5Frun=1", "%64ry_run=yes", "dry_run=1;x=2",
		"dry_run", "dry_run=%zz", "a=1&dry_run=0&dry_run=1", "dry+run=1", "token=a+b"} {
		checkQueryParam(t, raw)
	}
}

func FuzzQueryParam(f *testing.F) {
	for _, raw := range []string{"token=x&dry_run=true", "dry%5Frun=1", "dry_run=1;x=2"} {
		f.Add(raw)
	}
	f.Fuzz(checkQueryParam)
}
