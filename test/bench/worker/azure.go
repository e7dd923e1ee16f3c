package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/blob/azureblob"
	"github.com/dumpflow/dumpflow/pkg/blob/azureblob/azuritetest"
	"github.com/dumpflow/dumpflow/test/bench/machine"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// runAzure: `worker capture` of apps × 1 instance, one full dump each, into
// Azurite, at each --concurrency in turn (rounds interleaved); every stored
// blob is read back and its SHA-256 compared with the worker's summary and
// with the simulator's own hash of what it sent.
func runAzure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("azure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apps := fs.Int("apps", 16, "apps, one instance and one full dump each")
	size := fs.Int64("size", 256<<20, "full dump size in bytes")
	concs := fs.String("concurrency", "16,4", "the worker's --concurrency values to compare, comma-separated")
	rounds := fs.Int("rounds", 3, "rounds; each runs every --concurrency once, in turn")
	uploadMiB := fs.Int("upload-memory-mib", 0, "the worker's --upload-memory-mib (0: its default)")
	prebuilt := fs.String("worker", "", "a worker binary to measure (default: build ./cmd/worker)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var levels []int
	for _, c := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return fmt.Errorf("--concurrency %q: want positive integers separated by commas", *concs)
		}
		levels = append(levels, n)
	}
	azurite, err := azuritetest.Find()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bench-azure-")
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
	total := int64(*apps) * *size
	loadBefore := machine.LoadAverage()
	fmt.Fprintf(stdout, "azure: %d apps × 1 instance, %d MiB full dumps (%d MiB), worker capture → Azurite, %d rounds; load average %s on %d CPUs\n",
		*apps, *size>>20, total>>20, *rounds, loadBefore, runtime.NumCPU())
	rates := map[int][]float64{}
	peaks := map[int]int64{}
	for round := range *rounds {
		for _, c := range levels {
			r, err := azureRun(ctx, bin, azurite, *apps, *size, c, *uploadMiB)
			if err != nil {
				return fmt.Errorf("round %d, --concurrency %d: %w", round+1, c, err)
			}
			rate := mibps(total, r.wall)
			rates[c] = append(rates[c], rate)
			peaks[c] = max(peaks[c], r.maxRSS)
			fmt.Fprintf(stdout, "  round %d, --concurrency %2d: %.1f s (%.1f MiB/s), peak RSS %.1f MiB, CPU %.1f s (%.2f s/GiB), %d sha256 verified; load %s\n",
				round+1, c, r.wall.Seconds(), rate, float64(r.maxRSS)/(1<<20), r.cpu.Seconds(), r.cpu.Seconds()/(float64(total)/(1<<30)), *apps, machine.LoadAverage())
		}
	}
	result := map[string]any{"bench": "azure", "apps": *apps, "bytes": total, "rounds": *rounds, "upload_memory_mib": *uploadMiB,
		"load_before": loadBefore, "load_after": machine.LoadAverage(), "cpus": runtime.NumCPU()}
	for _, c := range levels {
		fmt.Fprintf(stdout, "  --concurrency %2d: median %.1f MiB/s, peak RSS %.1f MiB\n", c, median(rates[c]), float64(peaks[c])/(1<<20))
		result[fmt.Sprintf("c%d_mibps", c)] = rates[c]
		result[fmt.Sprintf("c%d_peak_rss_mib", c)] = float64(peaks[c]) / (1 << 20)
	}
	if len(levels) >= 2 {
		a, b := median(rates[levels[0]]), median(rates[levels[1]])
		fmt.Fprintf(stdout, "  throughput --concurrency %d / %d: %.2f (goal ≥ 0.9); peak RSS at %d: %.1f MiB (goal ≤ 256 MiB)\n",
			levels[0], levels[1], a/b, levels[0], float64(peaks[levels[0]])/(1<<20))
		result["ratio"] = a / b
	}
	out, _ := json.Marshal(result)
	fmt.Fprintln(stdout, string(out))
	return nil
}

// azureRun is one capture into a fresh Azurite and simulator, verified.
func azureRun(ctx context.Context, bin, azurite string, apps int, size int64, conc, uploadMiB int) (childResult, error) {
	ctx, cancel := context.WithTimeout(ctx, azureTimeout)
	defer cancel()
	az, err := azuritetest.Start(azurite)
	if err != nil {
		return childResult{}, err
	}
	defer az.Stop()
	srv, err := sim.New(sim.Config{Apps: apps, Instances: 1, Seed: 11, DumpSize: size, DumpWriteTime: -1})
	if err != nil {
		return childResult{}, err
	}
	defer srv.Close()
	info := srv.Info()
	const container = "dumps"
	args := []string{"capture", "--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate,
		"--dump-type", "full", "--blob", "http://127.0.0.1/devstoreaccount1/" + container,
		"--concurrency", fmt.Sprint(conc), "--progress", "never"}
	if uploadMiB > 0 {
		args = append(args, "--upload-memory-mib", fmt.Sprint(uploadMiB))
	}
	for _, a := range info.Apps {
		args = append(args, "--app", a.ResourceID)
	}
	r, err := runChildEnv(ctx, []string{azureblob.EnvConnectionString + "=" + az.ConnectionString}, bin, args...)
	if err != nil {
		return r, err
	}
	sum, err := parseSummary(r.lastLine)
	if err != nil {
		return r, err
	}
	if len(sum.Dumps) != apps || len(sum.Failures) != 0 {
		return r, fmt.Errorf("captured %d of %d dumps, failures %+v", len(sum.Dumps), apps, sum.Failures)
	}
	// What the simulator sent, by instance and pid.
	sent := map[string]string{}
	for _, e := range srv.Events() {
		if e.Kind == sim.EventDump && e.Complete {
			sent[fmt.Sprint(e.Instance, "/", e.PID)] = e.SHA256
		}
	}
	b, err := azureblob.OpenConnectionString(ctx, az.ConnectionString, container)
	if err != nil {
		return r, err
	}
	defer b.Close()
	var g errgroup.Group
	g.SetLimit(4)
	for _, d := range sum.Dumps {
		if want := sent[fmt.Sprint(d.Instance, "/", d.PID)]; d.SHA256 != want || d.Bytes != size {
			return r, fmt.Errorf("dump of %s: worker's sha256 %s (%d bytes), the simulator sent %s (%d bytes)", d.App, d.SHA256, d.Bytes, want, size)
		}
		g.Go(func() error {
			rd, attrs, err := b.NewReader(ctx, d.Key)
			if err != nil {
				return fmt.Errorf("reading back %s: %w", d.Key, err)
			}
			defer rd.Close()
			h := sha256.New()
			n, err := io.Copy(h, rd)
			if err != nil {
				return fmt.Errorf("reading back %s: %w", d.Key, err)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != d.SHA256 || n != d.Bytes || attrs.Metadata["sha256"] != d.SHA256 {
				return fmt.Errorf("stored %s: sha256 %s of %d bytes (metadata %s), want %s of %d", d.Key, got, n, attrs.Metadata["sha256"], d.SHA256, d.Bytes)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return r, err
	}
	return r, nil
}

// azureTimeout bounds one run, so that a stuck upload ends the bench.
const azureTimeout = 20 * time.Minute
