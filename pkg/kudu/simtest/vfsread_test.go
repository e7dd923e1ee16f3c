package simtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// ListVFS and ReadVFSRange against the simulator's web server logs: the
// listing's mtime gives the ETag Kudu wants in If-Range, so reads are 206
// slices; a file that changed since the listing is asked again with its
// new tag; a range past the end is a *RangeError with the size.
func TestReadVFSRange(t *testing.T) {
	clock := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := startSim(t, sim.Config{WebLogs: sim.WebLogs{Apps: []string{"*"}, Now: func() time.Time { return clock }}})
	_, c, _ := simClients(t, s, nil, nil)
	ctx := context.Background()
	if _, err := c.ListVFS(ctx, "LogFiles/http/RawLogs"); !errors.Is(err, kudu.ErrNotFound) {
		t.Fatalf("listing a missing folder: %v, want ErrNotFound", err)
	}
	app := s.Info().Apps[0]
	if err := s.LogRequests(app.Name, app.Instances[0], sim.LoggedRequest{At: time.Now(), Path: "/a", Status: 200}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListVFS(ctx, "LogFiles/http/RawLogs")
	if err != nil || len(list) != 1 || list[0].IsDir() || list[0].Size == 0 || list[0].ETag() == "" {
		t.Fatalf("listing %+v, %v", list, err)
	}
	f := list[0]
	whole, size, err := c.ReadVFSRange(ctx, "LogFiles/http/RawLogs", f.Name, 0, 1<<20, "")
	if err != nil || int64(len(whole)) != f.Size || size != f.Size {
		t.Fatalf("whole read: %d bytes of %d (%d), %v", len(whole), f.Size, size, err)
	}
	if err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	before := len(s.Events())
	part, size, err := c.ReadVFSRange(ctx, "LogFiles/http/RawLogs", f.Name, 10, 20, f.ETag())
	if err != nil || string(part) != string(whole[10:30]) || size != f.Size {
		t.Fatalf("range: %q (%d), %v; want %q", part, size, err, whole[10:30])
	}
	if err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	evs := s.Events()[before:]
	if len(evs) != 1 || evs[0].Status != 206 || evs[0].Offset != 10 || evs[0].Bytes != 20 {
		t.Fatalf("events %+v, want one 206 read of 20 bytes at 10 (If-Range matched the listing's mtime)", evs)
	}
	// The file grows after the listing: the old tag no longer matches.
	clock = clock.Add(time.Second)
	if err := s.LogRequests(app.Name, app.Instances[0], sim.LoggedRequest{At: time.Now(), Path: "/b", Status: 200}); err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	before = len(s.Events())
	part, size, err = c.ReadVFSRange(ctx, "LogFiles/http/RawLogs", f.Name, f.Size, 1<<20, f.ETag())
	if err != nil || size <= f.Size || int64(len(part)) != size-f.Size {
		t.Fatalf("read after growth: %d bytes, size %d (was %d), %v", len(part), size, f.Size, err)
	}
	if err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	evs = s.Events()[before:]
	if len(evs) != 2 || evs[0].Status != 200 || evs[1].Status != 206 || evs[1].Offset != f.Size {
		t.Fatalf("events %+v, want a 200 (stale If-Range) then a 206 from %d with the new tag", evs, f.Size)
	}
	_, size2, err := c.ReadVFSRange(ctx, "LogFiles/http/RawLogs", f.Name, size, 10, "")
	var re *kudu.RangeError
	if !errors.As(err, &re) || !errors.Is(err, kudu.ErrRangeNotSatisfiable) || re.Size != size || size2 != size {
		t.Fatalf("read at the end: %v (size %d), want a RangeError with size %d", err, size2, size)
	}
}
