// Command idleconns-bench attacks a real `ingest serve` process with idle
// keep-alive connections (issue 22, point 1): each connection makes one
// GET /healthz, needing no token, and is then held open. Meanwhile a probe
// makes a fresh request every 100 ms. It prints the ingest process's peak
// and final RSS, how many attack connections the server closed, and the
// probe's worst latency; the last stdout line is JSON. Loopback only.
//
//	go run ./test/bench/idleconns [--conns 20000] [--concurrency 256] [--ingest BIN]
//
// Without --ingest it builds ./cmd/ingest first (run it from the module
// root). Goal: ingest stays under 100 MB RSS and answers every probe.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

type result struct {
	Attempted       int     `json:"attempted"`
	Served          int64   `json:"served"`
	DialFailed      int64   `json:"dial_failed"`
	ClosedByServer  int64   `json:"closed_by_server"`
	StillOpen       int64   `json:"still_open_at_end"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
	EndRSSMB        float64 `json:"end_rss_mb"`
	Probes          int     `json:"probes"`
	ProbesFailed    int     `json:"probes_failed"`
	ProbeWorstMS    float64 `json:"probe_worst_ms"`
	AttackSeconds   float64 `json:"attack_seconds"`
	ServerFDsAtPeak int     `json:"server_fds_at_peak"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	conns := flag.Int("conns", 20000, "attack connections to attempt")
	conc := flag.Int("concurrency", 256, "connections being opened at once")
	bin := flag.String("ingest", "", "ingest binary (default: go build ./cmd/ingest)")
	flag.Parse()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Each held connection is one fd here: raise the soft limit to the hard one.
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}

	dir, err := os.MkdirTemp("", "idleconns-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "ingest")
		b := exec.Command("go", "build", "-o", *bin, "./cmd/ingest")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("building ingest: %w", err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "policies.json")
	if err := os.WriteFile(cfg, []byte(`{"policies":[{"name":"all","match":{},"action":"analyze"}]}`), 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, *bin, "serve", "--listen", addr, "--config", cfg,
		"--queue", "file://"+filepath.Join(dir, "queue"), "--blob", "file://"+filepath.Join(dir, "blob"),
		"--auth", "none", "--arm-url", "http://127.0.0.1:9", "--schedules=false", "--log-level", "error")
	cmd.Env = append(os.Environ(), "DUMPFLOW_WEBHOOK_TOKEN=idleconns-bench-token-0123456789")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := waitUp(ctx, addr); err != nil {
		return err
	}

	var res result
	res.Attempted = *conns
	var open atomic.Int64
	var holders sync.WaitGroup
	stopHold := make(chan struct{})

	// RSS and fd sampler, and the probe, until the attack and a settling
	// period are over.
	var peakRSS atomic.Int64
	var peakFDs atomic.Int64
	sampleDone := make(chan struct{})
	var samplers sync.WaitGroup
	samplers.Add(2)
	go func() {
		defer samplers.Done()
		for {
			if kb, err := rssKB(cmd.Process.Pid, "VmRSS"); err == nil && kb > peakRSS.Load() {
				peakRSS.Store(kb)
			}
			if n := fdCount(cmd.Process.Pid); int64(n) > peakFDs.Load() {
				peakFDs.Store(int64(n))
			}
			select {
			case <-sampleDone:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	var probeMu sync.Mutex
	go func() {
		defer samplers.Done()
		cl := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			start := time.Now()
			resp, err := cl.Get("http://" + addr + "/readyz")
			d := time.Since(start)
			probeMu.Lock()
			res.Probes++
			if err != nil || resp.StatusCode != 200 {
				res.ProbesFailed++
			}
			if ms := float64(d.Microseconds()) / 1000; ms > res.ProbeWorstMS {
				res.ProbeWorstMS = ms
			}
			probeMu.Unlock()
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			select {
			case <-sampleDone:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(*conc)
	for range *conns {
		g.Go(func() error {
			c, br, err := oneRequest(gctx, addr)
			if err != nil {
				atomic.AddInt64(&res.DialFailed, 1)
				return nil
			}
			atomic.AddInt64(&res.Served, 1)
			open.Add(1)
			holders.Add(1)
			go func() { // hold the connection until the server closes it
				defer holders.Done()
				defer c.Close()
				done := make(chan struct{})
				go func() {
					select {
					case <-stopHold:
						c.Close()
					case <-done:
					}
				}()
				_, _ = io.Copy(io.Discard, br)
				close(done)
				open.Add(-1)
				select {
				case <-stopHold:
				default:
					atomic.AddInt64(&res.ClosedByServer, 1)
				}
			}()
			return nil
		})
	}
	_ = g.Wait()
	res.AttackSeconds = time.Since(start).Seconds()
	// Let the probe run a little with every surviving connection held.
	time.Sleep(2 * time.Second)
	res.StillOpen = open.Load()
	if kb, err := rssKB(cmd.Process.Pid, "VmRSS"); err == nil {
		res.EndRSSMB = float64(kb) / 1024
	}
	close(sampleDone)
	samplers.Wait()
	close(stopHold)
	holders.Wait()
	res.PeakRSSMB = float64(peakRSS.Load()) / 1024
	res.ServerFDsAtPeak = int(peakFDs.Load())

	fmt.Printf("attempted %d idle connections (%d served, %d dial failures) in %.1fs; server closed %d, %d open at the end\n",
		res.Attempted, res.Served, res.DialFailed, res.AttackSeconds, res.ClosedByServer, res.StillOpen)
	fmt.Printf("ingest RSS: peak %.1f MB (sampled every 50 ms), %.1f MB at the end; peak fds %d\n", res.PeakRSSMB, res.EndRSSMB, res.ServerFDsAtPeak)
	fmt.Printf("probe GET /readyz every 100 ms: %d probes, %d failed, worst %.1f ms\n", res.Probes, res.ProbesFailed, res.ProbeWorstMS)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if res.PeakRSSMB > 100 || res.ProbesFailed > 0 {
		return errors.New("goal missed: want peak RSS ≤ 100 MB and every probe answered")
	}
	return nil
}

// oneRequest opens a connection and makes one keep-alive GET /healthz.
func oneRequest(ctx context.Context, addr string) (net.Conn, *bufio.Reader, error) {
	d := net.Dialer{Timeout: 30 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: ingest\r\n\r\n"); err != nil {
		c.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = c.SetDeadline(time.Time{})
	return c, br, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitUp(ctx context.Context, addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("ingest did not answer on %s within 60 s", addr)
}

// rssKB reads a Vm* field (kB) of /proc/PID/status.
func rssKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func fdCount(pid int) int {
	es, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(es)
}
