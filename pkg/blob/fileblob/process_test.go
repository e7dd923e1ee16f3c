package fileblob_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// envChild makes the test binary act as a child process for the
// cross-process tests: "lease DIR KEY", "put DIR KEY SEED START_UNIX_NANO",
// "acks DIR SEED" or "over DIR -" (see crash_test.go).
const envChild = "FILEBLOB_TEST_CHILD"

func TestMain(m *testing.M) {
	if args := os.Getenv(envChild); args != "" {
		if err := child(strings.Fields(args)); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("bad child args %q", args)
	}
	b, err := fileblob.Open(args[1])
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch args[0] {
	case "acks":
		return childAcks(ctx, b, args[2])
	case "over":
		return childOverwrites(ctx, b)
	case "lease":
		if _, err := b.AcquireLease(ctx, args[2], blob.MinLeaseTTL); err != nil {
			return err
		}
		fmt.Println("acquired")
		time.Sleep(time.Hour) // until killed
	case "put":
		seed, _ := strconv.Atoi(args[3])
		start, _ := strconv.ParseInt(args[4], 10, 64)
		w, err := b.NewWriter(ctx, args[2], nil)
		if err != nil {
			return err
		}
		if _, err := w.Write(seeded(byte(seed), 256<<10)); err != nil {
			return err
		}
		time.Sleep(time.Until(time.Unix(0, start)))
		switch err := w.Close(); {
		case err == nil:
			fmt.Println("committed")
		case errors.Is(err, blob.ErrExists):
			fmt.Println("exists")
		default:
			return err
		}
	}
	return nil
}

func seeded(seed byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i/7) ^ seed
	}
	return p
}

// startChild runs the test binary as a child with args.
func startChild(t *testing.T, args string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+args)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

func TestLeaseOfKilledHolderExpires(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startChild(t, "lease "+dir+" locks/sites/app1")
	if !out.Scan() || out.Text() != "acquired" {
		t.Fatalf("child: %q", out.Text())
	}
	clock := &fakeClock{}
	b, err := fileblob.OpenOptions(dir, &fileblob.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if _, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL); !errors.Is(err, blob.ErrLeaseHeld) {
		t.Fatalf("AcquireLease while the child holds it = %v, want ErrLeaseHeld", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL); !errors.Is(err, blob.ErrLeaseHeld) {
		t.Fatalf("AcquireLease right after the holder died = %v, want ErrLeaseHeld until expiry", err)
	}
	clock.Advance(t, blob.MinLeaseTTL+time.Second)
	l, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL)
	if err != nil {
		t.Fatalf("AcquireLease after the dead holder's lease expired: %v", err)
	}
	_ = l.Release(ctx)
}

func TestCreateIfAbsentAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	start := time.Now().Add(2 * time.Second).UnixNano()
	outs := make([]*bufio.Scanner, n)
	cmds := make([]*exec.Cmd, n)
	for i := range n {
		cmds[i], outs[i] = startChild(t, fmt.Sprintf("put %s dumps/race.dmp %d %d", dir, i+1, start))
	}
	winner := 0
	for i := range n {
		outs[i].Scan()
		switch got := outs[i].Text(); got {
		case "committed":
			if winner != 0 {
				t.Fatalf("children %d and %d both committed", winner, i+1)
			}
			winner = i + 1
		case "exists":
		default:
			t.Fatalf("child %d: %q", i+1, got)
		}
		_ = cmds[i].Wait()
	}
	if winner == 0 {
		t.Fatal("no child committed")
	}
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := b.NewReaderAt(context.Background(), "dumps/race.dmp")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]byte, r.Size())
	if _, err := r.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(seeded(byte(winner), 256<<10)) {
		t.Fatal("stored content is not the winner's")
	}
	if n := tempFiles(t, dir); n != 0 {
		t.Errorf("%d temporary files left", n)
	}
}
