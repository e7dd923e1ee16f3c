package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

func runFanout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apps := fs.Int("apps", 16, "apps")
	instances := fs.Int("instances", 4, "instances per app")
	writeTime := fs.Duration("write-time", 2*time.Second, "time the simulator takes to write each dump")
	limit := fs.Int("concurrency", 16, "the worker's global dump limit")
	serial := fs.Bool("serial", true, "also measure one dump at a time (apps × instances × write time)")
	stagedInstances := fs.Int("staged-instances", 16, "instances of the one app in the staged run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bench-fanout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, err := buildWorker(ctx, work)
	if err != nil {
		return err
	}
	result := map[string]any{"bench": "fanout", "apps": *apps, "instances": *instances, "write_time_s": writeTime.Seconds()}

	direct := func(conc int) (time.Duration, error) {
		return capture(ctx, bin, work, sim.Config{Apps: *apps, Instances: *instances, Seed: 7, DumpWriteTime: *writeTime},
			"--strategy", "direct", "--concurrency", fmt.Sprint(conc))
	}
	wall, err := direct(*limit)
	if err != nil {
		return err
	}
	ideal := time.Duration(*instances) * *writeTime
	fmt.Fprintf(stdout, "fanout direct: %d apps × %d instances, %s per dump, global limit %d: %.2f s (ideal %.1f s, goal ≤ %.1f s)\n",
		*apps, *instances, *writeTime, *limit, wall.Seconds(), ideal.Seconds(), ideal.Seconds()*1.15)
	result["direct_s"], result["direct_ideal_s"] = wall.Seconds(), ideal.Seconds()
	if *serial {
		one, err := direct(1)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "fanout direct, one at a time: %.2f s (%.1f× slower than the fan-out)\n", one.Seconds(), one.Seconds()/wall.Seconds())
		result["serial_s"] = one.Seconds()
	}
	staged, err := capture(ctx, bin, work, sim.Config{Apps: 1, Instances: *stagedInstances, Seed: 8, DumpWriteTime: *writeTime},
		"--strategy", "staged", "--concurrency", fmt.Sprint(*stagedInstances), "--staged-per-site", fmt.Sprint(*stagedInstances), "--staged-poll", "100ms")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fanout staged: 1 app × %d instances, %s per dump: %.2f s (ideal %.1f s plus polling)\n",
		*stagedInstances, *writeTime, staged.Seconds(), writeTime.Seconds())
	result["staged_s"] = staged.Seconds()
	out, _ := json.Marshal(result)
	fmt.Fprintln(stdout, string(out))
	return nil
}

// capture runs `worker capture` on every app of a fresh simulator and
// returns its wall time; every target must be captured.
func capture(ctx context.Context, bin, work string, cfg sim.Config, extra ...string) (time.Duration, error) {
	srv, err := sim.New(cfg)
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	info := srv.Info()
	blobDir, err := os.MkdirTemp(work, "blobs-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(blobDir)
	args := []string{"capture", "--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate,
		"--blob", "file://" + filepath.ToSlash(blobDir), "--progress", "never"}
	want := 0
	for _, a := range info.Apps {
		args = append(args, "--app", a.ResourceID)
		want += len(a.Instances)
	}
	args = append(args, extra...)
	r, err := runChild(ctx, bin, args...)
	if err != nil {
		return 0, err
	}
	sum, err := parseSummary(r.lastLine)
	if err != nil {
		return 0, err
	}
	if len(sum.Dumps) != want || len(sum.Failures) != 0 {
		return r.wall, fmt.Errorf("captured %d of %d dumps, failures %+v", len(sum.Dumps), want, sum.Failures)
	}
	for _, d := range sum.Dumps {
		if d.Attempts != 1 {
			return r.wall, fmt.Errorf("a dump of %s needed %d attempts (staging-file collision?)", d.App, d.Attempts)
		}
	}
	return r.wall, nil
}
