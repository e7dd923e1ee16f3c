package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/service"
	"github.com/dumpflow/dumpflow/pkg/worker"
)

// runCapture: worker capture --app RESOURCE_ID [--app …] [--arm-url URL]
// [--scm-url-template URL] [--instances all|ID,…] [--process NAME]
// [--dump-type mini|full] [--kill] --blob URL [--concurrency N]
func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("capture", stderr)
	var apps listFlag
	fs.Var(&apps, "app", "ARM resource id of an app or slot to capture (repeatable)")
	var kf kuduFlags
	kf.register(fs)
	var ef engineFlags
	ef.register(fs, worker.DefaultConcurrency)
	var bf blobFlags
	bf.register(fs)
	instances := fs.String("instances", "all", "instances to capture: all, or instance ids separated by commas")
	process := fs.String("process", "w3wp", "process name to dump; w3wp means the app's own w3wp (never Kudu's, never a webjob)")
	children := fs.Bool("children", false, "dump the children of the app's w3wp (dotnet, node, java) instead of w3wp")
	largest := fs.Bool("largest", false, "dump only the largest matching process (private bytes) per instance")
	dumpType := fs.String("dump-type", messages.DumpMini, "mini or full")
	kill := fs.Bool("kill", false, "kill each process after its dump is verified (within the kill budget; never Kudu)")
	blobURL := fs.String("blob", "", "blob storage URL (file:///dir or https://ACCOUNT.blob.core.windows.net/CONTAINER)")
	progress := fs.String("progress", "auto", "progress on stderr: auto (when stderr is a terminal), always or never")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error (logs go to stderr)")
	if err := service.ParseNoArgs(fs, args, os.Getenv); err != nil {
		return err
	}
	if len(apps) == 0 {
		return fmt.Errorf("%w: capture needs --app RESOURCE_ID", errUsage)
	}
	if *blobURL == "" {
		return fmt.Errorf("%w: capture needs --blob URL", errUsage)
	}
	log, err := service.NewLogger(stderr, *logLevel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	now := time.Now().UTC()
	act := messages.Action{DumpType: *dumpType, Kill: *kill}
	sel := messages.Selector{Children: *children, Largest: *largest}
	if p := strings.TrimSuffix(strings.ToLower(*process), ".exe"); p != "" && (p != "w3wp" || *children) {
		sel.Names = []string{p}
	}
	if *instances != "all" && *instances != "" {
		for _, id := range strings.Split(*instances, ",") {
			if id = strings.TrimSpace(id); id != "" {
				sel.Instances = append(sel.Instances, id)
			}
		}
	}
	incident := messages.IncidentID(now, append([]string{"worker-capture"}, apps...)...)
	var jobs []*messages.CaptureJob
	for _, a := range apps {
		site, err := siteOf(a)
		if err != nil {
			return err
		}
		j, err := worker.ManualJob(site, incident, now, act, sel)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		jobs = append(jobs, j)
	}
	k, err := kf.build()
	if err != nil {
		return err
	}
	bucket, err := bf.open(ctx, *blobURL)
	if err != nil {
		return err
	}
	defer bucket.Close()
	cfg := ef.config()
	cfg.Logger = log
	e, err := worker.New(k, bucket, nil, nil, cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	show := *progress == "always" || (*progress == "auto" && service.IsTerminal(stderr))
	var pp *worker.ProgressPrinter
	if show {
		pp = worker.NewProgressPrinter(stderr, 500*time.Millisecond)
		e.OnProgress = pp.Observe
	}
	stopOnSignal := context.AfterFunc(ctx, e.Stop)
	defer stopOnSignal()
	// Dumps in flight finish after a signal; a second signal kills.
	sum := worker.CaptureAll(context.WithoutCancel(ctx), e, jobs)
	if pp != nil {
		pp.Close()
	}
	line, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	// A person reads stderr; scripts read the JSON line on stdout.
	sum.WriteText(stderr)
	fmt.Fprintln(stdout, string(line))
	switch {
	case sum.Failed():
		return errTargetsFailed
	case sum.NothingMatched():
		return &service.ExitStatus{Code: exitNothingMatched,
			Msg: "no process matched the selector on any instance (the skipped lines above list the processes found); check --process, --children and --instances"}
	}
	return nil
}

// exitNothingMatched is capture's exit status when the selector matched no
// process anywhere: nothing failed, but nothing was captured either.
const exitNothingMatched = 3
