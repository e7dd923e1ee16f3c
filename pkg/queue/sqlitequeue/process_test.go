package sqlitequeue_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// Child processes: the test binary re-executed with these variables set.
const (
	envChild = "SQLITEQUEUE_TEST_CHILD" // "consume", "produce" or "settle"
	envDir   = "SQLITEQUEUE_TEST_DIR"
	envCount = "SQLITEQUEUE_TEST_COUNT"
	envHold  = "SQLITEQUEUE_TEST_HOLD" // "1": produce, then wait to be killed
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "":
		os.Exit(m.Run())
	case "consume":
		os.Exit(childConsume(os.Getenv(envDir)))
	case "produce":
		n, _ := strconv.Atoi(os.Getenv(envCount))
		os.Exit(childProduce(os.Getenv(envDir), n))
	case "settle":
		os.Exit(childSettle(os.Getenv(envDir)))
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode")
		os.Exit(2)
	}
}

var childOpts = sqlitequeue.Options{LockDuration: time.Second, PollInterval: 20 * time.Millisecond}

// childConsume runs a Consumer whose handler announces the message it
// holds on stdout and then blocks until the process is killed.
func childConsume(dir string) int {
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := queue.NewConsumer(queue.Config{
		Queue:  q,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			fmt.Printf("holding %s %d\n", m.ID, m.DeliveryCount)
			select {} // mid-message until SIGKILL
		}),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := c.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// childProduce sends p-0 … p-(n-1), printing "sent ID" once each Send
// has returned (the message is durable).
func childProduce(dir string, n int) int {
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	for i := range n {
		id := "p-" + strconv.Itoa(i)
		if err := q.Send(context.Background(), queue.Message{ID: id, Body: bodyOf(id)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(w, "sent", id)
		w.Flush()
	}
	if os.Getenv(envHold) == "1" {
		select {} // keep the queue open (no checkpoint on close) until SIGKILL
	}
	// The last connection to close checkpoints the log into the file.
	if err := q.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// bodyOf is the body childProduce sends with id: bytes found nowhere else
// in the queue file (the ID alone also sits in the duplicate history).
func bodyOf(id string) []byte {
	return []byte("body of " + id + ": " + strings.Repeat("x", 40))
}

// childSettle receives in batches of up to 5 and completes every message,
// printing "completed ID" once each Complete has returned.
func childSettle(dir string) int {
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	w := bufio.NewWriter(os.Stdout)
	for {
		ms, err := q.Receive(ctx, 5)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, m := range ms {
			if err := q.Complete(ctx, m); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Fprintln(w, "completed", m.ID)
			w.Flush()
		}
	}
}

// startChild starts the test binary in child mode with stdout piped.
func startChild(t *testing.T, mode, dir string, count int, env ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envDir+"="+dir, envCount+"="+strconv.Itoa(count))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(out)
}

// kill9 SIGKILLs the child, reads what is left of its stdout (lines
// written before it died) and reaps it, returning the number of lines.
func kill9(t *testing.T, cmd *exec.Cmd, out *bufio.Scanner) int {
	t.Helper()
	return len(kill9Lines(t, cmd, out))
}

// kill9Lines is kill9 returning the lines.
func kill9Lines(t *testing.T, cmd *exec.Cmd, out *bufio.Scanner) []string {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	var lines []string
	for out.Scan() {
		lines = append(lines, out.Text())
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	return lines
}

// drain receives and completes until nothing arrives for quiet, returning
// each ID's delivery counts.
func drain(t *testing.T, q *sqlitequeue.Queue, quiet time.Duration) map[string][]int {
	t.Helper()
	got := map[string][]int{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), quiet)
		ms, err := q.Receive(ctx, 50)
		cancel()
		if err != nil {
			return got
		}
		for _, m := range ms {
			got[m.ID] = append(got[m.ID], m.DeliveryCount)
			if err := q.Complete(context.Background(), m); err != nil {
				t.Fatalf("Complete(%q): %v", m.ID, err)
			}
		}
	}
}

// TestSIGKILLedConsumer kills a consumer process while its handler holds a
// message, and checks that the next consumer gets that message again (on
// delivery 2, once the lock expires) and every other message once.
func TestSIGKILLedConsumer(t *testing.T) {
	dir := t.TempDir()
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ids := []string{"m0", "m1", "m2", "m3", "m4"}
	for _, id := range ids {
		if err := q.Send(context.Background(), queue.Message{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	cmd, out := startChild(t, "consume", dir, 0)
	if !out.Scan() {
		t.Fatalf("child exited before holding a message: %v", out.Err())
	}
	line := out.Text()
	if line != "holding m0 1" {
		t.Fatalf("child said %q, want %q", line, "holding m0 1")
	}
	kill9(t, cmd, out)

	got := drain(t, q, 2*childOpts.LockDuration)
	for _, id := range ids {
		want := "[1]"
		if id == "m0" {
			want = "[2]"
		}
		if fmt.Sprint(got[id]) != want {
			t.Errorf("%s delivered with counts %v, want %s", id, got[id], want)
		}
	}
	if len(got) != len(ids) {
		t.Errorf("received %d distinct messages, want %d: %v", len(got), len(ids), got)
	}
}

// TestSIGKILLedProducer kills a process in the middle of a stream of
// sends and checks that every send it reported as done survived, with no
// gap and nothing half-written.
func TestSIGKILLedProducer(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startChild(t, "produce", dir, 1_000_000)
	acked := 0
	for acked < 40 && out.Scan() {
		acked++
	}
	acked += kill9(t, cmd, out)
	if acked < 40 {
		t.Fatalf("child acknowledged only %d sends", acked)
	}
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer q.Close()
	if err := q.Verify(context.Background()); err != nil {
		t.Fatalf("queue file after kill -9: %v", err)
	}
	got := drain(t, q, 2*time.Second)
	for i := range acked {
		if id := "p-" + strconv.Itoa(i); len(got[id]) != 1 {
			t.Errorf("acknowledged send %s lost (deliveries %v)", id, got[id])
		}
	}
	// At most the one send in progress at the kill may exist unacknowledged.
	if len(got) > acked+1 {
		t.Errorf("%d messages stored, %d acknowledged", len(got), acked)
	}
	for id := range got {
		n, err := strconv.Atoi(strings.TrimPrefix(id, "p-"))
		if err != nil || n > acked {
			t.Errorf("unexpected message %q after %d acknowledged sends", id, acked)
		}
	}
}

// TestTwoProcessesShareQueue receives in this process while another
// process sends to the same queue file.
func TestTwoProcessesShareQueue(t *testing.T) {
	const n = 60
	dir := t.TempDir()
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	cmd, out := startChild(t, "produce", dir, n)
	linesDone := make(chan struct{})
	go func() { // the child's stdout must be read so that it never blocks
		defer close(linesDone)
		for out.Scan() {
		}
	}()
	got := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(got) < n {
		ms, err := q.Receive(ctx, 10)
		if err != nil {
			t.Fatalf("Receive after %d of %d: %v", len(got), n, err)
		}
		for _, m := range ms {
			got[m.ID]++
			if err := q.Complete(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	<-linesDone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("producer: %v", err)
	}
	for id, c := range got {
		if c != 1 {
			t.Errorf("%s received %d times", id, c)
		}
	}
}
