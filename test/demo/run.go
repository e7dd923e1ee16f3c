package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/test/harness"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// appNames are the simulated apps' names, in order.
var appNames = []string{"shop", "checkout", "search", "catalog", "payments", "accounts"}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	timeout, err := time.ParseDuration(o.timeoutStr)
	if err != nil || timeout <= 0 {
		return fmt.Errorf("--timeout %q: want a positive duration such as 2m", o.timeoutStr)
	}
	dumpSize, err := sim.ParseSize(o.dumpSize)
	if err != nil {
		return err
	}
	start := time.Now()
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dumpflow-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	fmt.Fprintf(out, "dumpflow demo: data directory %s\n", dir)

	root, err := harness.ModuleRoot()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "building ingest, worker and analyzer into %s …\n", filepath.Join(dir, "bin"))
	bins, err := harness.Build(ctx, root, filepath.Join(dir, "bin"), false)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "built in %.1fs\n", time.Since(start).Seconds())

	names := make([]string, o.apps)
	for i := range names {
		if i < len(appNames) {
			names[i] = appNames[i]
		} else {
			names[i] = fmt.Sprintf("app%d", i+1)
		}
	}
	srv, err := sim.New(sim.Config{Apps: o.apps, Instances: o.instances, AppNames: names, Seed: 2026,
		DumpSize: dumpSize, DumpWriteTime: 100 * time.Millisecond})
	if err != nil {
		return err
	}
	defer srv.Close()
	info := srv.Info()
	fmt.Fprintf(out, "Kudu simulator on %s: %d apps × %d instances\n", srv.URL, o.apps, o.instances)

	sub := subscriptionOf(info.Apps[0].ResourceID)
	pol, err := harness.PolicyFile([]string{sub}, messages.DumpFull)
	if err != nil {
		return err
	}
	token := randomToken()
	p, err := harness.StartPipeline(ctx, harness.Config{
		Bins: bins, Dir: dir, ARMURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate,
		Token: token, Policy: pol, QueueQuery: "poll=50ms", NoSchedules: true,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ingest on %s, worker and analyzer running (logs in %s)\n", p.IngestURL, p.LogDir())
	res, runErr := drive(ctx, out, p, info, dir, timeout)
	fmt.Fprintln(out, "stopping the services (SIGTERM) …")
	stopErr := p.Stop(30 * time.Second)
	if runErr != nil {
		return fmt.Errorf("%w (logs: %s)", runErr, p.LogDir())
	}
	if stopErr != nil {
		return fmt.Errorf("a service did not stop cleanly: %w", stopErr)
	}
	printSummary(out, res, time.Since(start))
	return nil
}

// result is what drive found.
type result struct {
	incident string
	html     string
	inc      *report.Incident
	bytes    int64
	dumps    int // dump files whose sha256sum matched the report
}

// drive posts the alert, waits for the final report and exports it.
func drive(ctx context.Context, out io.Writer, p *harness.Pipeline, info sim.Info, dir string, timeout time.Duration) (*result, error) {
	targets := make([]string, 0, len(info.Apps))
	for _, a := range info.Apps {
		targets = append(targets, a.ResourceID)
	}
	now := time.Now().UTC()
	alert, err := harness.MetricAlert{
		Rule: "High memory on web apps", SubscriptionID: subscriptionOf(targets[0]), RuleGroup: "rg-monitoring",
		AlertGUID: randomGUID(), Targets: targets, Severity: "Sev2", FiredAt: now,
		Metric: "MemoryWorkingSet", Threshold: 1.5e9, Value: 1.83e9,
	}.CommonSchema()
	if err != nil {
		return nil, err
	}
	alertPath := filepath.Join(dir, "alert.json")
	if err := os.WriteFile(alertPath, alert, 0o600); err != nil {
		return nil, err
	}
	ans, err := p.Client.PostAlert(ctx, alert)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "posted the alert (%s) → incident %s with %d jobs\n", alertPath, ans.IncidentID, ans.Jobs)

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, err := p.OpenBucket(wctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	dead := func() error {
		if d := p.Dead(); len(d) > 0 {
			return fmt.Errorf("service exited: %s", strings.Join(d, ", "))
		}
		return nil
	}
	progress := time.NewTicker(2 * time.Second)
	defer progress.Stop()
	var inc *report.Incident
	waitDone := make(chan error, 1)
	go func() { // owned here: drive waits on waitDone before returning
		var err error
		inc, err = harness.WaitReport(wctx, b, ans.IncidentID, dead)
		waitDone <- err
	}()
	for waiting := true; waiting; {
		select {
		case err := <-waitDone:
			if err != nil {
				return nil, fmt.Errorf("waiting for the report: %w", err)
			}
			waiting = false
		case <-progress.C:
			if st, err := p.Client.Incident(wctx, ans.IncidentID); err == nil {
				fmt.Fprintf(out, "  … %d/%d jobs done, %d dumps stored\n", st.JobsDone, st.JobsExpected, len(st.Dumps))
			}
		}
	}
	res := &result{incident: ans.IncidentID, inc: inc}
	for _, t := range inc.Targets {
		if t.Outcome == messages.OutcomeCaptured {
			res.bytes += t.Bytes
		}
	}
	// The blob store is a directory of plain files: the report is one,
	// and its links to dumps and analyses are relative within it.
	blobDir := filepath.Join(dir, "blobs")
	res.html = harness.ReportFile(blobDir, ans.IncidentID)
	if _, err := os.Stat(res.html); err != nil {
		return nil, fmt.Errorf("the report is not a plain file: %w", err)
	}
	if res.dumps, err = harness.VerifyDumpFiles(wctx, b, blobDir, inc); err != nil {
		return nil, err
	}
	return res, nil
}

func printSummary(out io.Writer, r *result, took time.Duration) {
	c := r.inc.Counts
	fmt.Fprintf(out, "\nincident %s: %d dumps captured (%s), %d analyzed, %d failed, %d skipped, in %.1fs\n",
		r.incident, c.Captured, humanBytes(r.bytes), c.Analyzed, c.Failed, c.Skipped, took.Seconds())
	for _, t := range r.inc.Targets {
		where := shortID(t.Instance)
		if t.MachineName != "" {
			where = t.MachineName // what a person matches against the portal
		}
		line := fmt.Sprintf("  %-10s %-14s %-6s pid %-6d %-8s", t.App, where, t.Process, t.PID, t.Outcome)
		if t.CrashReason != "" {
			line += " " + t.CrashReason
		}
		if t.Reason != "" && t.Outcome != messages.OutcomeCaptured {
			line += " " + t.Reason
		}
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	fmt.Fprintf(out, "\nsha256sum of the %d dump files matches the checksums in the report\n", r.dumps)
	base := strings.TrimSuffix(r.html, "index.html")
	fmt.Fprintf(out, "report (Markdown): %sindex.md\nreport (JSON):     %sindex.json\n", base, base)
	fmt.Fprintf(out, "incident report (open in a browser):\n  %s\n  %s\n", (&url.URL{Scheme: "file", Path: filepath.ToSlash(r.html)}).String(), r.html)
}

func shortID(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// subscriptionOf returns the subscription id of an ARM resource id.
func subscriptionOf(id string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "subscriptions") {
			return parts[i+1]
		}
	}
	return ""
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "demo-" + hex.EncodeToString(b[:])
}

func randomGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
