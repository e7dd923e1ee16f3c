package worker

import (
	"context"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// fullDisk is a bucket whose writers fail as a full local disk does.
type fullDisk struct{ *memBucket }

func (b fullDisk) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	w, err := b.memBucket.NewWriter(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return enospcWriter{w}, nil
}

type enospcWriter struct{ blob.Writer }

func (enospcWriter) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: "/var/lib/dumpflow/blobs/.tmp-1", Err: syscall.ENOSPC}
}

// The attack of issue 22 point 7: a full disk was treated as transient, so
// each of the 4 attempts asked Kudu for a new dump (four freezes for one
// failure). It is now permanent: one dump, one failure naming the disk.
func TestFullDiskIsNotRetriedAgainstKudu(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	e, err := New(k, fullDisk{newMemBucket()}, &memPublisher{}, nil, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeFailed || !strings.Contains(tr.Reason, "no space left on device") {
		t.Fatalf("target %s (%s), want failed naming the full disk", tr.Outcome, tr.Reason)
	}
	inst := k.instances["app"][0]
	if n := k.calls("app", inst, k.appPID("app", inst)); n != 1 {
		t.Fatalf("Kudu was asked for %d dumps after a full disk; want 1", n)
	}
}
