package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

func runStream(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int64("size", 4<<30, "full dump size in bytes")
	dir := fs.String("dir", "", "work directory on the disk to measure (default: a temporary directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work := *dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "bench-stream-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	bin, err := buildWorker(ctx, work)
	if err != nil {
		return err
	}
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, Seed: 42, DumpSize: *size, DumpWriteTime: -1})
	if err != nil {
		return err
	}
	defer srv.Close()
	info := srv.Info()
	app := info.Apps[0]
	inst := app.Instances[0]

	// Plain HTTP copy of the same dump URL (the app's w3wp via the -1
	// alias is the pid the worker picks), to a file on the same disk.
	url := app.SCMURL + "/api/processes/-1/dump?dumpType=2&format=raw"
	file := filepath.Join(work, "copy.dmp")
	var copyTime, syncTime time.Duration
	tool := "curl"
	start := time.Now()
	if _, lerr := exec.LookPath("curl"); lerr == nil {
		cookie := "ARRAffinity=" + inst + "; ARRAffinitySameSite=" + inst
		if _, err := runChild(ctx, "curl", "-sS", "--fail", "-o", file, "-H", "Cookie: "+cookie, url); err != nil {
			return err
		}
	} else {
		tool = "go http.Get + io.Copy"
		if err := httpCopy(ctx, url, inst, file); err != nil {
			return err
		}
	}
	copyTime = time.Since(start)
	if err := fsyncFile(file); err != nil {
		return err
	}
	syncTime = time.Since(start)
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	copySum, err := fileSHA(file)
	if err != nil {
		return err
	}
	os.Remove(file)

	blobDir := filepath.Join(work, "blobs")
	r, err := runChild(ctx, bin, "capture", "--app", app.ResourceID, "--arm-url", info.ARMURL,
		"--scm-url-template", info.SCMURLTemplate, "--dump-type", "full", "--blob", "file://"+blobDir,
		"--concurrency", "1", "--progress", "never")
	if err != nil {
		return err
	}
	sum, err := parseSummary(r.lastLine)
	if err != nil {
		return err
	}
	if len(sum.Dumps) != 1 || len(sum.Failures) != 0 {
		return fmt.Errorf("worker did not store exactly one dump: %s", r.lastLine)
	}
	d := sum.Dumps[0]
	os.RemoveAll(blobDir)

	copyRate := mibps(st.Size(), syncTime)
	workerRate := mibps(d.Bytes, r.wall)
	fmt.Fprintf(stdout, "stream: %d MiB full dump, simulator → local disk (%s)\n", *size>>20, work)
	fmt.Fprintf(stdout, "  plain copy (%s): %.1f s, +fsync %.1f s → %.1f MiB/s (without fsync %.1f MiB/s)\n",
		tool, copyTime.Seconds(), syncTime.Seconds(), copyRate, mibps(st.Size(), copyTime))
	fmt.Fprintf(stdout, "  worker capture:   %.1f s wall (dump %.1f s) → %.1f MiB/s, peak RSS %.1f MiB\n",
		r.wall.Seconds(), float64(d.DurationMS)/1000, workerRate, float64(r.maxRSS)/(1<<20))
	fmt.Fprintf(stdout, "  throughput ratio worker/copy: %.2f (goal ≥ 0.9); peak RSS goal ≤ 64 MiB; sha256 equal: %v\n",
		workerRate/copyRate, d.SHA256 == copySum)
	out, _ := json.Marshal(map[string]any{
		"bench": "stream", "bytes": d.Bytes, "copy_s": syncTime.Seconds(), "copy_nofsync_s": copyTime.Seconds(),
		"worker_s": r.wall.Seconds(), "ratio": workerRate / copyRate, "worker_peak_rss_mib": float64(r.maxRSS) / (1 << 20),
		"sha256_equal": d.SHA256 == copySum,
	})
	fmt.Fprintln(stdout, string(out))
	return nil
}

func httpCopy(ctx context.Context, url, inst, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", "ARRAffinity="+inst+"; ARRAffinitySameSite="+inst)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fsyncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func fileSHA(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
