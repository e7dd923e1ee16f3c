package sqlitequeue

import (
	"net/url"
	"testing"
	"time"
)

func TestOptionsFromURL(t *testing.T) {
	u, _ := url.Parse("file:///var/lib/dumpflow/queue?lock=30s&max_deliveries=5&dedupe_window=1m&poll=50ms&busy_timeout=5s")
	o, err := optionsFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{LockDuration: 30 * time.Second, MaxDeliveries: 5, DedupeWindow: time.Minute, PollInterval: 50 * time.Millisecond, BusyTimeout: 5 * time.Second}
	if o != want {
		t.Errorf("options %+v, want %+v", o, want)
	}
	u, _ = url.Parse("file:///q?dedupe_window=0s")
	if o, err := optionsFromURL(u); err != nil || o.DedupeWindow >= 0 {
		t.Errorf("dedupe_window=0s: %+v, %v; want detection disabled", o, err)
	}
	for _, bad := range []string{
		"s3:///q", "file://remotehost/q", "file:relative/q", "file:///q?lock=abc", "file:///q?lock=-1s",
		"file:///q?max_deliveries=0", "file:///q?colour=blue", "file:///q?lock=1s&lock=2s",
	} {
		u, err := url.Parse(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := optionsFromURL(u); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := optionsFromURL(nil); err == nil {
		t.Error("nil URL accepted")
	}
}

func TestOpenRejectsBadNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"", "../x", "a/b", ".hidden", "x y", string(make([]byte, 65))} {
		if q, err := Open(dir, name, Options{}); err == nil {
			q.Close()
			t.Errorf("Open(%q) succeeded", name)
		}
	}
	if _, err := Open(dir, "q", Options{LockDuration: -time.Second}); err == nil {
		t.Error("negative lock duration accepted")
	}
}

func TestOpenURLOpensQueue(t *testing.T) {
	dir := t.TempDir()
	u := &url.URL{Scheme: "file", Path: dir, RawQuery: "lock=2s"}
	q, err := OpenURL(t.Context(), u, "captures")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.Options().LockDuration != 2*time.Second || q.Dir() != dir {
		t.Errorf("opened %s with %+v", q.Path(), q.Options())
	}
}
