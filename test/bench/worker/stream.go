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
	"runtime"
	"slices"
	"time"

	"github.com/dumpflow/dumpflow/test/bench/machine"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

func runStream(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int64("size", 4<<30, "full dump size in bytes")
	dir := fs.String("dir", "", "work directory on the disk to measure, e.g. /dev/shm for tmpfs (default: a temporary directory)")
	rounds := fs.Int("rounds", 3, "rounds of (plain copy, worker capture), interleaved")
	prebuilt := fs.String("worker", "", "a worker binary to measure (default: build ./cmd/worker), e.g. an older build to compare")
	procs := fs.Int("gomaxprocs", 2, "the worker's GOMAXPROCS (1 is what a pod limited to one CPU gets)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the simulator serving the dumps) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("--rounds %d: want at least 1", *rounds)
	}
	work, err := os.MkdirTemp(*dir, "bench-stream-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := *prebuilt
	if bin == "" {
		if bin, err = buildWorker(ctx, work); err != nil {
			return err
		}
	}
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, Seed: 42, DumpSize: *size, DumpWriteTime: -1})
	if err != nil {
		return err
	}
	defer srv.Close()
	if *cpuProfile != "" {
		stop, err := machine.StartCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	info := srv.Info()
	app := info.Apps[0]
	inst := app.Instances[0]

	// Plain HTTP copy of the same dump URL (the app's w3wp via the -1
	// alias is the pid the worker picks), to a file on the same disk, then
	// fsync (the blob commit fsyncs too; on tmpfs both are free).
	url := app.SCMURL + "/api/processes/-1/dump?dumpType=2&format=raw"
	tool := "curl -o"
	if _, lerr := exec.LookPath("curl"); lerr != nil {
		tool = "go http.Get + io.Copy"
	}
	var copySum string
	// plainCopy returns the copy's wall time, size and CPU time (0 when
	// it ran in this process rather than in curl).
	plainCopy := func(round int) (time.Duration, int64, time.Duration, error) {
		file := filepath.Join(work, "copy.dmp")
		defer os.Remove(file)
		start := time.Now()
		var cpu time.Duration
		if tool == "curl -o" {
			cookie := "ARRAffinity=" + inst + "; ARRAffinitySameSite=" + inst
			r, err := runChild(ctx, "curl", "-sS", "--fail", "-o", file, "-H", "Cookie: "+cookie, url)
			if err != nil {
				return 0, 0, 0, err
			}
			cpu = r.cpu
		} else if err := httpCopy(ctx, url, inst, file); err != nil {
			return 0, 0, 0, err
		}
		if err := fsyncFile(file); err != nil {
			return 0, 0, 0, err
		}
		took := time.Since(start)
		st, err := os.Stat(file)
		if err != nil {
			return 0, 0, 0, err
		}
		if round == 0 {
			if copySum, err = fileSHA(file); err != nil {
				return 0, 0, 0, err
			}
		}
		return took, st.Size(), cpu, nil
	}
	worker := func() (childResult, captureSummary, error) {
		blobDir := filepath.Join(work, "blobs")
		defer os.RemoveAll(blobDir)
		r, err := runChildEnv(ctx, []string{fmt.Sprintf("GOMAXPROCS=%d", *procs)}, bin, "capture", "--app", app.ResourceID, "--arm-url", info.ARMURL,
			"--scm-url-template", info.SCMURLTemplate, "--dump-type", "full", "--blob", "file://"+blobDir,
			"--concurrency", "1", "--progress", "never")
		if err != nil {
			return r, captureSummary{}, err
		}
		sum, err := parseSummary(r.lastLine)
		if err == nil && (len(sum.Dumps) != 1 || len(sum.Failures) != 0) {
			err = fmt.Errorf("worker did not store exactly one dump: %s", r.lastLine)
		}
		return r, sum, err
	}

	loadBefore := machine.LoadAverage()
	fmt.Fprintf(stdout, "stream: %d MiB full dump, simulator → %s, %d interleaved rounds, worker GOMAXPROCS=%d; load average %s on %d CPUs\n",
		*size>>20, work, *rounds, *procs, loadBefore, runtime.NumCPU())
	gib := float64(*size) / (1 << 30)
	var copyRates, workerRates []float64
	var copyCPU, workerCPU, simCopyCPU, simWorkerCPU []float64 // CPU seconds per GiB
	var peakRSS int64
	shaEqual := true
	for i := range *rounds {
		simBefore := machine.CPUTime()
		took, n, cpu, err := plainCopy(i)
		if err != nil {
			return err
		}
		simCopy := machine.CPUTime() - simBefore // includes hashing the copy in round 1, see below
		copyRates = append(copyRates, mibps(n, took))
		simBefore = machine.CPUTime()
		r, sum, err := worker()
		if err != nil {
			return err
		}
		simWorker := machine.CPUTime() - simBefore
		d := sum.Dumps[0]
		workerRates = append(workerRates, mibps(d.Bytes, r.wall))
		peakRSS = max(peakRSS, r.maxRSS)
		shaEqual = shaEqual && d.SHA256 == copySum
		if i > 0 || tool != "curl -o" {
			// Round 1 also hashed curl's file here; and without curl the copy
			// ran in this process: neither is the simulator alone.
			simCopyCPU = append(simCopyCPU, simCopy.Seconds()/gib)
		}
		if cpu > 0 {
			copyCPU = append(copyCPU, cpu.Seconds()/gib)
		}
		workerCPU = append(workerCPU, r.cpu.Seconds()/gib)
		simWorkerCPU = append(simWorkerCPU, simWorker.Seconds()/gib)
		fmt.Fprintf(stdout, "  round %d: %s %.2f s (%.1f MiB/s, %.2f CPU-s); worker capture %.2f s wall, dump %.2f s (%.1f MiB/s, %.2f CPU-s, simulator %.2f CPU-s), peak RSS %.1f MiB; load %s\n",
			i+1, tool, took.Seconds(), copyRates[i], cpu.Seconds(), r.wall.Seconds(), float64(d.DurationMS)/1000, workerRates[i],
			r.cpu.Seconds(), simWorker.Seconds(), float64(r.maxRSS)/(1<<20), machine.LoadAverage())
	}
	copyRate, workerRate := median(copyRates), median(workerRates)
	loadAfter := machine.LoadAverage()
	fmt.Fprintf(stdout, "  medians: %s %.1f MiB/s, worker %.1f MiB/s: ratio worker/copy %.2f (goal ≥ 0.9); peak RSS %.1f MiB (goal ≤ 64 MiB); sha256 equal: %v; load average %s → %s\n",
		tool, copyRate, workerRate, workerRate/copyRate, float64(peakRSS)/(1<<20), shaEqual, loadBefore, loadAfter)
	cpuLine := fmt.Sprintf("  CPU-seconds per GiB (medians): worker %.2f, simulator while it served the worker %.2f", median(workerCPU), median(simWorkerCPU))
	if len(copyCPU) > 0 {
		cpuLine += fmt.Sprintf("; %s %.2f", tool, median(copyCPU))
	}
	if len(simCopyCPU) > 0 {
		cpuLine += fmt.Sprintf(", simulator while it served it %.2f", median(simCopyCPU))
	}
	fmt.Fprintln(stdout, cpuLine)
	// The floor: a worker must do at least the plain copy's work and the
	// hash, and the simulator must still send, on the same CPUs; the plain
	// copy only the first. So whatever the worker does, its time per GiB
	// is at least max(hash, (copy + hash + simulator) / CPUs).
	shaS := sha256Seconds()
	bound := 0.0
	if len(copyCPU) > 0 {
		floor := max(shaS, (median(copyCPU)+shaS+median(simWorkerCPU))/float64(runtime.NumCPU()))
		bound = (1024 / copyRate) / floor
		fmt.Fprintf(stdout, "  SHA-256 on one core: %.0f MiB/s; so on %d CPUs shared with the simulator no worker that hashes can beat %.2f × %s here\n",
			1024/shaS, runtime.NumCPU(), bound, tool)
	}
	out, _ := json.Marshal(map[string]any{
		"bench": "stream", "bytes": *size, "rounds": *rounds, "dir": *dir,
		"copy_mibps": copyRates, "worker_mibps": workerRates, "ratio": workerRate / copyRate,
		"worker_peak_rss_mib": float64(peakRSS) / (1 << 20), "sha256_equal": shaEqual,
		"copy_cpu_s_per_gib": copyCPU, "worker_cpu_s_per_gib": workerCPU,
		"sim_cpu_s_per_gib_copy": simCopyCPU, "sim_cpu_s_per_gib_worker": simWorkerCPU,
		"load_before": loadBefore, "load_after": loadAfter, "cpus": runtime.NumCPU(), "worker_gomaxprocs": *procs,
		"sha256_mibps": 1024 / shaS, "ratio_bound": bound,
	})
	fmt.Fprintln(stdout, string(out))
	if !shaEqual {
		return fmt.Errorf("the worker's sha256 differs from the plain copy's")
	}
	return nil
}

// median of xs.
func median(xs []float64) float64 {
	xs = slices.Sorted(slices.Values(xs))
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
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
