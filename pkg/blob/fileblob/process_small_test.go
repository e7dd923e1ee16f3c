package fileblob_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// raceKind says how a child of TestMixedSizeRaceAcrossProcesses writes key
// i: as a small blob (Size set, the database) or a large one (a file),
// alternating so that two children with seeds of different parity write
// every key in different stores.
func raceKind(seed, i int) (size int, small bool) {
	if (seed+i)%2 == 0 {
		return 900 + i, true
	}
	return 80<<10 + i, false
}

// childRace writes keys race/0..N-1 from START on, printing "committed I"
// or "exists I" for each.
func childRace(ctx context.Context, b *fileblob.Bucket, args []string) error {
	seed, _ := strconv.Atoi(args[0])
	start, _ := strconv.ParseInt(args[1], 10, 64)
	n, _ := strconv.Atoi(args[2])
	time.Sleep(time.Until(time.Unix(0, start)))
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs = make(chan error, n)
	)
	for i := range n {
		wg.Go(func() {
			size, small := raceKind(seed, i)
			opts := &blob.WriterOptions{Metadata: map[string]string{"seed": strconv.Itoa(seed)}}
			if small {
				opts.Size = int64(size)
			}
			w, err := b.NewWriter(ctx, fmt.Sprintf("race/%d", i), opts)
			if err == nil {
				if _, err = w.Write(seeded(byte(seed), size)); err == nil {
					err = w.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				fmt.Println("committed", i)
			case errors.Is(err, blob.ErrExists):
				fmt.Println("exists", i)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func TestMixedSizeRaceAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	const n = 40
	start := time.Now().Add(time.Second).UnixNano()
	var (
		cmds [2]*exec.Cmd
		outs [2]*bufio.Scanner
	)
	for c := range 2 {
		cmds[c], outs[c] = startChild(t, fmt.Sprintf("race %s %d %d %d", dir, c+1, start, n))
	}
	winner := make([]int, n)
	for c := range 2 {
		for outs[c].Scan() {
			verdict, num, _ := strings.Cut(outs[c].Text(), " ")
			i, err := strconv.Atoi(num)
			if err != nil || i < 0 || i >= n {
				t.Fatalf("child %d: %q", c+1, outs[c].Text())
			}
			switch verdict {
			case "committed":
				if winner[i] != 0 {
					t.Errorf("race/%d: both children committed", i)
				}
				winner[i] = c + 1
			case "exists":
			default:
				t.Fatalf("child %d: %q", c+1, outs[c].Text())
			}
		}
		if err := cmds[c].Wait(); err != nil {
			t.Fatalf("child %d: %v", c+1, err)
		}
	}
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	list, err := b.List(ctx, "race/")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Errorf("List shows %d blobs, want %d", len(list), n)
	}
	for i, w := range winner {
		if w == 0 {
			t.Errorf("race/%d: no child committed", i)
			continue
		}
		size, _ := raceKind(w, i)
		wantStored(t, b, fmt.Sprintf("race/%d", i), seeded(byte(w), size))
	}
}

// wantStored fails the test unless key holds want.
func wantStored(t *testing.T, b blob.Bucket, key string, want []byte) {
	t.Helper()
	r, err := b.NewReaderAt(context.Background(), key)
	if err != nil {
		t.Errorf("%s: %v", key, err)
		return
	}
	defer r.Close()
	got := make([]byte, r.Size())
	if _, err := r.ReadAt(got, 0); err != nil && len(got) > 0 {
		t.Errorf("%s: %v", key, err)
		return
	}
	if string(got) != string(want) {
		t.Errorf("%s holds %d bytes, not the %d the committed writer wrote", key, len(got), len(want))
	}
}

// childAcks writes small blobs acks/I from 8 goroutines until killed,
// printing "ok I" once each commit has returned.
func childAcks(ctx context.Context, b *fileblob.Bucket, seedArg string) error {
	seed, _ := strconv.Atoi(seedArg)
	var (
		mu   sync.Mutex
		next int
	)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				data := seeded(byte(seed+i), 1000+i%100)
				w, err := b.NewWriter(ctx, fmt.Sprintf("acks/%d", i), &blob.WriterOptions{Size: int64(len(data))})
				if err == nil {
					if _, err = w.Write(data); err == nil {
						err = w.Close()
					}
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				fmt.Println("ok", i)
				mu.Unlock()
			}
		}()
	}
	return <-errs
}

func TestKilledWriterLosesNoAcknowledgedSmallBlob(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startChild(t, "acks "+dir+" 3")
	acked := map[int]bool{}
	for len(acked) < 300 && out.Scan() {
		i, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ok "))
		if err != nil {
			t.Fatalf("child: %q", out.Text())
		}
		acked[i] = true
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for out.Scan() { // acknowledgements printed before the kill landed
		if i, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ok ")); err == nil {
			acked[i] = true
		}
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d blobs", len(acked))
	}
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range acked {
		wantStored(t, b, fmt.Sprintf("acks/%d", i), seeded(byte(3+i), 1000+i%100))
	}
	// The database is usable after the kill.
	w, err := b.NewWriter(context.Background(), "after", &blob.WriterOptions{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Errorf("commit after the kill: %v", err)
	}
}
