package logdb_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// TestMain lets the test binary act as a second process (see hotWriter).
func TestMain(m *testing.M) {
	if path := os.Getenv("LOGDB_HOT_WRITER"); path != "" {
		hotWriter(path)
		return
	}
	if path := os.Getenv("LOGDB_ACK_WRITER"); path != "" {
		ackWriter(path, os.Getenv("LOGDB_ROUND"))
		return
	}
	os.Exit(m.Run())
}

// hotWriter keeps 16 goroutines updating the file back to back, so this
// process always has work queued, until PATH.stop exists. It creates
// PATH.started after its first commit.
func hotWriter(path string) {
	f := logdb.Open(path, logdb.Options{})
	defer f.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	var once sync.Once
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if _, err := os.Stat(path + ".stop"); err == nil {
					return
				}
				if err := f.Update(ctx, put(fmt.Sprint("hot", g, "-", i), "v")); err != nil {
					fmt.Fprintln(os.Stderr, "hot writer:", err)
					os.Exit(1)
				}
				once.Do(func() { _ = os.WriteFile(path+".started", nil, 0o600) })
			}
		})
	}
	wg.Wait()
}

// A process that always has work queued holds the file lock, but lets
// another process in as soon as it announces that it waits: the other
// process's operations succeed well within a short busy timeout.
func TestBusyProcessLetsWaitersIn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	path := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOGDB_HOT_WRITER="+path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = os.WriteFile(path+".stop", nil, 0o600)
		if err := cmd.Wait(); err != nil {
			t.Errorf("hot writer: %v", err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(path + ".started"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hot writer did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f := logdb.Open(path, logdb.Options{BusyTimeout: 2 * time.Second})
	defer f.Close()
	start := time.Now()
	for i := range 20 {
		if err := f.Update(context.Background(), put(fmt.Sprint("cold", i), "v")); err != nil {
			t.Fatalf("update %d beside a busy process: %v", i, err)
		}
		if v, _ := get(t, f, fmt.Sprint("cold", i)); v != "v" {
			t.Fatalf("cold%d = %q, want v", i, v)
		}
	}
	t.Logf("20 updates and reads beside a busy process in %v", time.Since(start))
}

// ackWriter updates the file from 8 goroutines until killed, printing each
// key once its Update has returned nil. Values alternate between small and
// large (read back from the file).
func ackWriter(path, round string) {
	db := logdb.Open(path, logdb.Options{})
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				k := fmt.Sprintf("r%s-g%d-%06d", round, g, i)
				if err := db.Update(context.Background(), put(k, ackValue(k))); err != nil {
					fmt.Fprintln(os.Stderr, "ack writer:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Println(k)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func ackValue(k string) string {
	if k[len(k)-1]%2 == 0 {
		return k
	}
	return strings.Repeat(k, 20)
}

// A process killed (SIGKILL) while committing back to back loses no update
// it was told had committed; the next process cuts any torn record and
// appends after it. Three rounds on the same file.
func TestKilledWriterLosesNoAcknowledgedUpdate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts other processes")
	}
	path := filepath.Join(t.TempDir(), "db")
	var acked []string
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LOGDB_ACK_WRITER="+path, fmt.Sprint("LOGDB_ROUND=", round))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			acked = append(acked, sc.Text())
			if n++; n == 4000 {
				_ = cmd.Process.Kill()
			}
		}
		_ = cmd.Wait()
		if n < 4000 {
			t.Fatalf("round %d: writer stopped after %d updates", round, n)
		}
		r, err := logdb.Check(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		t.Logf("round %d: %d acknowledged so far; file %+v", round, len(acked), r)
	}
	db := logdb.Open(path, logdb.Options{})
	defer db.Close()
	err := db.View(context.Background(), func(tx *logdb.Tx) error {
		b := tx.Bucket(bucket)
		for _, k := range acked {
			if v := b.Get([]byte(k)); string(v) != ackValue(k) {
				return fmt.Errorf("acknowledged %s = %.20q, want %.20q", k, v, ackValue(k))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
