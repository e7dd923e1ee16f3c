// Command ingest-bench measures the ingest service end to end: authenticated
// alert webhooks posted over loopback HTTP, parsed, evaluated, deduplicated
// (manifest create-if-absent) and durably enqueued on the embedded queue
// (pkg/queue/filequeue; manifests on pkg/blob/fileblob). It prints accepted
// alerts per second and p50/p99 latency; the last stdout line is JSON.
//
//	go run ./test/bench/ingest [--alerts N] [--concurrency C] [--dup-ratio F] [--limits] [--mem-blob]
//
// Goal: ≥ 5,000 accepted alerts/s on 2 cores with p99 ≤ 20 ms.
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
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/filequeue"
)

const (
	token = "bench-webhook-token-0123456789"
	sub   = "11111111-1111-1111-1111-111111111111"
)

type result struct {
	Alerts       int     `json:"alerts"`
	Accepted     int64   `json:"accepted"`
	Duplicates   int64   `json:"duplicates"`
	Failed       int64   `json:"failed"`
	Enqueued     int     `json:"enqueued"`
	Concurrency  int     `json:"concurrency"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	WallS        float64 `json:"wall_s"`
	AcceptedPerS float64 `json:"accepted_per_s"`
	P50MS        float64 `json:"p50_ms"`
	P99MS        float64 `json:"p99_ms"`
	MaxMS        float64 `json:"max_ms"`
	// CPUMSPerAlert is the process's CPU time (user+system, server and
	// load generator together) per alert: a figure that holds on a busy
	// machine, where wall-clock rates do not.
	CPUMSPerAlert float64 `json:"cpu_ms_per_alert"`
	// CPUCeilingPerS is GOMAXPROCS seconds of CPU divided by the CPU per
	// alert: the rate the process could reach if it had every core to
	// itself and nothing waited on the disk.
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
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ingest-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ingest-bench", flag.ContinueOnError)
	n := fs.Int("alerts", 20000, "alerts to post")
	conc := fs.Int("concurrency", 32, "concurrent clients")
	dup := fs.Float64("dup-ratio", 0, "fraction of posts that repeat an earlier alert (Azure retries)")
	limits := fs.Bool("limits", false, "give the policy a cooldown (limit state in the blob store; one app per alert)")
	memBlob := fs.Bool("mem-blob", false, "keep manifests in memory instead of fileblob")
	memQueue := fs.Bool("mem-queue", false, "send to an in-memory queue instead of filequeue (isolates ingest's own cost)")
	dir := fs.String("dir", "", "data directory (default: a temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
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
	fq, err := filequeue.Open(*dir+"/queue", "captures", filequeue.Options{})
	if err != nil {
		return err
	}
	defer fq.Close()
	var q queue.Queue = fq
	queueKind := "filequeue"
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

	path := "/v1/alerts?token=" + token
	bodies := make([][]byte, *n)
	for i := range bodies {
		k := i
		if *dup > 0 && i > 0 && float64(i%1000)/1000 < *dup {
			k = i / 2 // a repeat of an earlier alert
		}
		apps := 50
		if *limits {
			apps = *n // one app per alert: every post reserves a fresh limit record
		}
		bodies[i] = payload(k, apps)
	}
	lat := make([]time.Duration, *n)
	var next, accepted, dups, failed atomic.Int64
	var wg sync.WaitGroup
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	load1 := loadAverage()
	cpu0 := cpuTime()
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConn(ln.Addr().String(), path)
			defer c.close()
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				t0 := time.Now()
				ok, dup, err := c.post(bodies[i])
				lat[i] = time.Since(t0)
				switch {
				case err != nil || !ok:
					if failed.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "first failure:", err)
					}
				case dup:
					dups.Add(1)
				default:
					accepted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	cpu := cpuTime() - cpu0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	enq := len(mq.Messages())
	if !*memQueue {
		if enq, err = countReady(ctx, fq); err != nil {
			return err
		}
	}
	r := result{Alerts: *n, Accepted: accepted.Load(), Duplicates: dups.Load(), Failed: failed.Load(), Enqueued: enq,
		Concurrency: *conc, GOMAXPROCS: runtime.GOMAXPROCS(0), WallS: wall.Seconds(),
		AcceptedPerS: float64(accepted.Load()+dups.Load()) / wall.Seconds(),
		P50MS:        ms(lat[len(lat)/2]), P99MS: ms(lat[len(lat)*99/100]), MaxMS: ms(lat[len(lat)-1]), Limits: *limits, Blob: blobKind, Queue: queueKind, CPUMSPerAlert: ms(cpu) / float64(*n), Load1: load1}
	if r.CPUMSPerAlert > 0 {
		r.CPUCeilingPerS = float64(r.GOMAXPROCS) * 1000 / r.CPUMSPerAlert
	}
	fmt.Fprintf(stdout, "%d alerts (%d new, %d duplicates, %d failed) in %.2fs: %.0f accepted/s, p50 %.2f ms, p99 %.2f ms; %d jobs enqueued; %.3f ms CPU per alert (CPU ceiling %.0f/s on %d cores); load average %.2f\n",
		r.Alerts, r.Accepted, r.Duplicates, r.Failed, r.WallS, r.AcceptedPerS, r.P50MS, r.P99MS, r.Enqueued, r.CPUMSPerAlert, r.CPUCeilingPerS, r.GOMAXPROCS, r.Load1)
	out, _ := json.Marshal(r)
	fmt.Fprintln(stdout, string(out))
	if r.Failed > 0 {
		return errors.New("some posts failed")
	}
	return nil
}

// payload is a fired App Service metric alert in the common schema; k
// makes its alert id (and so its incident) distinct, and picks one of
// apps apps.
func payload(k, apps int) []byte {
	return fmt.Appendf(nil, `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{
"alertId":"/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts/%08d-0000-0000-0000-000000000000",
"alertRule":"High memory","severity":"Sev2","signalType":"Metric","monitorCondition":"Fired","monitoringService":"Platform",
"alertTargetIDs":["/subscriptions/%s/resourcegroups/prod/providers/microsoft.web/sites/app%d"],
"firedDateTime":"2024-05-01T10:00:00.1234567Z","description":""},
"alertContext":{"properties":null,"conditionType":"SingleResourceMultipleMetricCriteria","condition":{"windowSize":"PT5M",
"allOf":[{"metricName":"MemoryWorkingSet","operator":"GreaterThan","threshold":"3000000000","dimensions":[{"name":"Instance","value":"RD0003FF1A2B3C"}],"metricValue":3.2e9}]}}}}`,
		sub, k, sub, k%apps)
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the one-minute load average, or 0 where /proc/loadavg
// is unavailable.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	if _, err := fmt.Sscan(string(data), &l); err != nil {
		return 0
	}
	return l
}

// countReady drains the queue without settling, to count what was
// enqueued durably.
func countReady(ctx context.Context, q *filequeue.Queue) (int, error) {
	total := 0
	for {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
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
