// Command ingest-bench measures the ingest service end to end: authenticated
// alert webhooks posted over loopback HTTP, parsed, evaluated, deduplicated
// (manifest create-if-absent) and durably enqueued on the embedded queue
// (pkg/queue/sqlitequeue; manifests on pkg/blob/fileblob). It prints accepted
// alerts per second and p50/p99 latency; the last stdout line is JSON.
//
//	go run ./test/bench/ingest [--alerts N] [--concurrency C] [--rate R] [--dup-ratio F] [--limits] [--mem-blob] [--mem-queue] [--in-process] [--cpuprofile F] [--memprofile F]
//
// By default the load is a closed loop: C connections, each posting again
// as soon as it is answered, which measures the most the server accepts
// (and, at high C, latency that is mostly queueing for the server). With
// --rate R the load is open: posts are due at R per second over up to C
// connections, and each latency counts from when its post was due — the
// latency webhook senders see at that rate.
//
// The load generator runs as a second process (this program, re-executed),
// as webhook senders are: in one process, its goroutines would compete
// with the server's in one Go scheduler, which is not what a deployed
// ingest sees. Both share the machine's cores.
//
// Goal: ≥ 5,000 accepted alerts/s on 2 cores with p99 ≤ 20 ms (see
// docs/benchmarks.md for the commands that check it).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
	"github.com/dumpflow/dumpflow/test/bench/machine"
)

const (
	token = "bench-webhook-token-0123456789"
	sub   = "11111111-1111-1111-1111-111111111111"
)

type result struct {
	Alerts     int   `json:"alerts"`
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Failed     int64 `json:"failed"`
	Enqueued   int   `json:"enqueued"`
	// Warmup is the number of alerts posted before the measured run.
	Warmup      int `json:"warmup"`
	Concurrency int `json:"concurrency"`
	// Rate is the offered load of an open-loop run (--rate), 0 for a
	// closed loop.
	Rate         float64 `json:"rate"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	WallS        float64 `json:"wall_s"`
	AcceptedPerS float64 `json:"accepted_per_s"`
	P50MS        float64 `json:"p50_ms"`
	P99MS        float64 `json:"p99_ms"`
	MaxMS        float64 `json:"max_ms"`
	// LateP99MS is the p99 of how late open-loop posts left the load
	// generator (see loadResult).
	LateP99MS float64 `json:"late_p99_ms,omitempty"`
	// Cores is the machine's CPU count; LoadProcess is true when the load
	// generator ran as a separate process (the default), as webhook
	// senders do.
	Cores       int  `json:"cores"`
	LoadProcess bool `json:"load_process"`
	// CPUMSPerAlert is CPU time (user+system) per alert, server and load
	// generator together: a figure that holds on a busy machine, where
	// wall-clock rates do not. ServerCPUMSPerAlert is the ingest
	// service's share.
	CPUMSPerAlert       float64 `json:"cpu_ms_per_alert"`
	ServerCPUMSPerAlert float64 `json:"server_cpu_ms_per_alert"`
	ClientCPUMSPerAlert float64 `json:"client_cpu_ms_per_alert"`
	// CPUCeilingPerS is the machine's cores divided by the CPU per alert:
	// the rate server and load generator could reach together if they
	// had every core and nothing waited on the disk.
	CPUCeilingPerS float64 `json:"cpu_ceiling_per_s"`
	// Load1 is the machine's one-minute load average when the run began
	// (from /proc/loadavg; 0 where unavailable): other processes' demand
	// for the same cores.
	Load1  float64 `json:"load1"`
	Limits bool    `json:"limits"`
	Blob   string  `json:"blob"`
	Queue  string  `json:"queue"`
}

func main() {
	if spec := os.Getenv(loadEnv); spec != "" {
		os.Exit(loadMain(spec))
	}
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ingest-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ingest-bench", flag.ContinueOnError)
	n := fs.Int("alerts", 20000, "alerts to post")
	conc := fs.Int("concurrency", 32, "concurrent clients (connections)")
	rate := fs.Float64("rate", 0, "post at this many alerts/s (open loop, latency counted from when each post was due) instead of as fast as the connections allow")
	dup := fs.Float64("dup-ratio", 0, "fraction of posts that repeat an earlier alert (Azure retries)")
	limits := fs.Bool("limits", false, "give the policy a cooldown (limit state in the blob store; one app per alert)")
	memBlob := fs.Bool("mem-blob", false, "keep manifests in memory instead of fileblob")
	memQueue := fs.Bool("mem-queue", false, "send to an in-memory queue instead of sqlitequeue (isolates ingest's own cost)")
	dir := fs.String("dir", "", "data directory (default: a temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server, while the load runs, to this file")
	memProfile := fs.String("memprofile", "", "write the server's allocation profile, after the load, to this file")
	inProcess := fs.Bool("in-process", false, "run the load generator in this process instead of a separate one")
	warmup := fs.Int("warmup", 1000, "alerts posted (closed loop, other alert ids) before the measured run, not counted: a server that just started is still creating its files, growing its heap and stacks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "ingest-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	fq, err := sqlitequeue.Open(*dir+"/queue", "captures", sqlitequeue.Options{})
	if err != nil {
		return err
	}
	defer fq.Close()
	var q queue.Queue = fq
	queueKind := "sqlitequeue"
	mq := ingesttest.NewQueue()
	if *memQueue {
		q, queueKind = mq, "memory"
	}
	var b blob.Bucket
	blobKind := "fileblob"
	if *memBlob {
		b, blobKind = ingesttest.NewBucket(), "memory"
	} else if b, err = fileblob.Open(*dir + "/blobs"); err != nil {
		return err
	}
	defer b.Close()
	lim := ""
	if *limits {
		lim = `, "limits": {"cooldown": "1h"}`
	}
	pc, err := policy.Parse([]byte(`{"production": true, "allow": {"subscriptions": ["` + sub + `"]},
		"policies": [{"name": "all", "action": "analyze"` + lim + `}]}`))
	if err != nil {
		return err
	}
	auth, err := ingest.NewTokenAuth(token)
	if err != nil {
		return err
	}
	svc, err := ingest.New(ingest.Config{Policies: pc, Queue: q, Bucket: b, Auth: auth, RatePerSecond: -1,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second}
	var serveWG sync.WaitGroup
	serveWG.Add(1)
	go func() { defer serveWG.Done(); _ = srv.Serve(ln) }()
	defer func() { _ = srv.Shutdown(ctx); serveWG.Wait() }()

	spec := loadSpec{Addr: ln.Addr().String(), Alerts: *n, Concurrency: *conc, DupRatio: *dup, Limits: *limits, Rate: *rate}
	load := func(spec loadSpec) (loadResult, error) {
		if *inProcess {
			return runLoad(spec), nil
		}
		return loadProcess(ctx, spec)
	}
	if *warmup > 0 {
		warm := loadSpec{Addr: spec.Addr, Alerts: *warmup, Concurrency: *conc, Limits: *limits, FirstAlert: *n}
		wr, err := load(warm)
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		if wr.Failed > 0 {
			return fmt.Errorf("warm-up: %d posts failed, the first: %s", wr.Failed, wr.FirstError)
		}
	}
	stopProfile := func() {}
	if *cpuProfile != "" {
		if stopProfile, err = machine.StartCPUProfile(*cpuProfile); err != nil {
			return err
		}
		defer stopProfile() // on an early return; stopping twice is harmless
	}
	load1 := machine.Load1()
	cpu0 := machine.CPUTime()
	lr, err := load(spec)
	if err != nil {
		return err
	}
	serverCPU := machine.CPUTime() - cpu0
	stopProfile() // the count of enqueued jobs below is not the server's work
	if *memProfile != "" {
		if err := writeAllocs(*memProfile); err != nil {
			return err
		}
	}
	if *inProcess {
		// One process: its CPU time is server and load generator together,
		// all reported as the server's.
		lr.CPUS = 0
	}
	if lr.FirstError != "" {
		fmt.Fprintln(os.Stderr, "first failure:", lr.FirstError)
	}
	enq := len(mq.Messages())
	if !*memQueue {
		if enq, err = countReady(ctx, fq); err != nil {
			return err
		}
	}
	enq -= *warmup // one job per warm-up alert
	perAlert := func(s float64) float64 { return s * 1000 / float64(*n) }
	r := result{Alerts: *n, Accepted: lr.Accepted, Duplicates: lr.Duplicates, Failed: lr.Failed, Enqueued: enq, Warmup: *warmup,
		Concurrency: *conc, Rate: *rate, GOMAXPROCS: runtime.GOMAXPROCS(0), Cores: runtime.NumCPU(), LoadProcess: !*inProcess, WallS: lr.WallS,
		AcceptedPerS: float64(lr.Accepted+lr.Duplicates) / lr.WallS,
		P50MS:        lr.P50MS, P99MS: lr.P99MS, MaxMS: lr.MaxMS, LateP99MS: lr.LateP99MS, Limits: *limits, Blob: blobKind, Queue: queueKind,
		ServerCPUMSPerAlert: perAlert(serverCPU.Seconds()), ClientCPUMSPerAlert: perAlert(lr.CPUS), Load1: load1}
	r.CPUMSPerAlert = r.ServerCPUMSPerAlert + r.ClientCPUMSPerAlert
	if r.CPUMSPerAlert > 0 {
		r.CPUCeilingPerS = float64(r.Cores) * 1000 / r.CPUMSPerAlert
	}
	if r.Rate > 0 {
		fmt.Fprintf(stdout, "open loop at %.0f/s over up to %d connections: p99 of sending late %.2f ms (included in p99)\n", r.Rate, r.Concurrency, r.LateP99MS)
	}
	fmt.Fprintf(stdout, "after a warm-up of %d alerts (not counted): ", r.Warmup)
	fmt.Fprintf(stdout, "%d alerts (%d new, %d duplicates, %d failed) in %.2fs: %.0f accepted/s, p50 %.2f ms, p99 %.2f ms; %d jobs enqueued; CPU per alert %.3f ms server + %.3f ms load generator (ceiling %.0f/s on %d cores); load average %.2f\n",
		r.Alerts, r.Accepted, r.Duplicates, r.Failed, r.WallS, r.AcceptedPerS, r.P50MS, r.P99MS, r.Enqueued, r.ServerCPUMSPerAlert, r.ClientCPUMSPerAlert, r.CPUCeilingPerS, r.Cores, r.Load1)
	out, _ := json.Marshal(r)
	fmt.Fprintln(stdout, string(out))
	if r.Failed > 0 {
		return errors.New("some posts failed")
	}
	return nil
}

// countReady drains the queue without settling, to count what was
// enqueued durably.
func countReady(ctx context.Context, q *sqlitequeue.Queue) (int, error) {
	total := 0
	for {
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		msgs, err := q.Receive(rctx, 1000)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		total += len(msgs)
	}
}

// loadProcess runs the load generator as a child process and returns its
// result.
func loadProcess(ctx context.Context, spec loadSpec) (loadResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadResult{}, err
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return loadResult{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), loadEnv+"="+string(data))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return loadResult{}, fmt.Errorf("load generator: %w", err)
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return loadResult{}, fmt.Errorf("load generator output %q: %w", out, err)
	}
	return r, nil
}

// writeAllocs writes the allocation profile (every allocation since the
// start) to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
