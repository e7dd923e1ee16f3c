package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/test/harness"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

const token = "chaos-webhook-token-0123456789abcdef"

// result is the summary printed as the last stdout line.
type result struct {
	*harness.Summary
	Apps      int            `json:"apps"`
	Instances int            `json:"instances"`
	DumpSize  int64          `json:"dump_size"`
	Kills     map[string]int `json:"kills"`
	Faults    map[string]int `json:"faults"`
	ScaleIns  int            `json:"scale_ins"`
	Seed      uint64         `json:"seed"`
	WallS     float64        `json:"wall_s"`
	Dir       string         `json:"dir,omitempty"`
	// Problems repeats what made the run fail, if anything.
	Problems []string `json:"problems,omitempty"`
}

// run performs one chaos run and prints its summary; the returned error is
// about the run itself (build, start, timeout), not about what it found.
func run(ctx context.Context, o *options, stdout, stderr io.Writer) (*result, error) {
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stdout, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	dir := o.dir
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dumpflow-chaos-"); err != nil {
			return nil, err
		}
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		return nil, err
	}
	logf("building the services into %s", filepath.Join(dir, "bin"))
	bins, err := harness.Build(ctx, root, filepath.Join(dir, "bin"), o.race)
	if err != nil {
		return nil, err
	}
	// A few more apps than strictly needed, so that the instances that
	// vanish before their job starts still leave ≥ --targets targets.
	apps := (o.targets + o.instances - 1) / o.instances
	apps += (apps*3 + 99) / 100
	srv, err := sim.New(sim.Config{Apps: apps, Instances: o.instances, Seed: o.seed, MiniDumpSize: o.dumpSize,
		DumpWriteTime: 10 * time.Millisecond, Faults: sim.Faults{Seed: o.seed, ErrorRate: o.errorRate,
			ThrottleRate: o.throttleRate, ResetRate: o.resetRate, ScaleInRate: o.scaleInRate}})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	initial := srv.Info()
	rec, err := harness.NewRecorder(srv)
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	info := rec.Info()
	sub := strings.Split(info.Apps[0].ResourceID, "/")[2]
	pol, err := harness.PolicyFile([]string{sub}, messages.DumpMini)
	if err != nil {
		return nil, err
	}
	p, err := harness.StartPipeline(ctx, harness.Config{
		Bins: bins, Dir: dir, ARMURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate, Token: token, Policy: pol,
		QueueQuery: fmt.Sprintf("lock=%s&poll=50ms", o.lock), Workers: o.workers, Analyzers: o.analyzers, NoSchedules: true,
		WorkerArgs:   []string{"--jobs", "6", "--concurrency", "8"},
		AnalyzerArgs: []string{"--concurrency", "4"},
	})
	if err != nil {
		return nil, err
	}
	defer p.Stop(10 * time.Second) // after a failure; a clean run stops below
	logf("simulator: %d apps × %d instances (%d targets), mini dumps of %s; faults: %.0f%% 5xx, %.0f%% 429, %.0f%% resets, scale-in %.1f‰ per request",
		apps, o.instances, apps*o.instances, sizeText(o.dumpSize), o.errorRate*100, o.throttleRate*100, o.resetRate*100, o.scaleInRate*1000)
	logf("pipeline: ingest %s, %d workers, %d analyzers; data in %s", p.IngestURL, o.workers, o.analyzers, dir)

	incidents, err := trigger(ctx, p.Client, info, o, o.seed)
	if err != nil {
		return nil, err
	}
	logf("posted %d triggers (alerts and bulk captures)", len(incidents))

	m := newMonkey(p, o.killEvery, o.seed, logf, func() int { return finishedDumps(srv.Events()) })
	m.start()
	waitErr := waitAll(ctx, p, incidents, o.timeout, logf)
	kills := m.stop()
	if waitErr == nil {
		// Messages held by killed processes come back when their locks
		// expire (--lock after their last renewal): let the queues drain,
		// i.e. stay untouched for longer than the lock.
		logf("kills stopped; waiting for the queues to drain")
		qctx, qcancel := context.WithTimeout(ctx, 3*time.Minute)
		waitErr = harness.WaitQuiet(qctx, p.QueueFiles(), o.lock+3*time.Second)
		qcancel()
	}
	logf("stopping the services")
	stopErr := p.Stop(60 * time.Second)

	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := srv.Settle(cctx); err != nil {
		return nil, err
	}
	sum, err := check(cctx, p, harness.Truth{Initial: initial, Events: srv.Events(), Requests: rec.Requests()})
	if err != nil {
		return nil, err
	}
	res := &result{Summary: sum, Apps: apps, Instances: o.instances, DumpSize: o.dumpSize, Kills: kills,
		Faults: map[string]int{}, Seed: o.seed}
	for _, e := range srv.Events() {
		switch e.Kind {
		case sim.EventFault:
			res.Faults[faultKind(e)]++
		case sim.EventScaleIn:
			res.ScaleIns++
		case sim.EventDump:
			switch {
			case e.Complete:
			case strings.Contains(e.Detail, "reset"):
				res.Faults["reset"]++
			default:
				res.Faults["dump-not-sent"]++ // staging busy, client gone (killed worker) …
			}
		}
	}
	res.Problems = sum.Problems()
	if waitErr != nil {
		res.Problems = append(res.Problems, waitErr.Error())
	}
	if stopErr != nil {
		res.Problems = append(res.Problems, "unclean stop: "+stopErr.Error())
	}
	res.WallS = float64(time.Since(start).Milliseconds()) / 1000
	if !sum.OK() || waitErr != nil || o.keep || o.dir != "" {
		res.Dir = dir
	} else {
		os.RemoveAll(dir)
	}
	for _, line := range report(res) {
		fmt.Fprintln(stdout, line)
	}
	js, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stdout, string(js))
	if waitErr != nil {
		return res, waitErr
	}
	return res, nil
}

// trigger posts one trigger per batch of apps, alternately an Azure
// Monitor alert and a bulk capture, and returns the incident ids.
func trigger(ctx context.Context, c *harness.Client, info sim.Info, o *options, seed uint64) ([]string, error) {
	var ids []string
	apps := info.Apps
	for batch := 0; len(apps) > 0; batch++ {
		n := min(o.perIncident, len(apps))
		var targets []string
		for _, a := range apps[:n] {
			targets = append(targets, a.ResourceID)
		}
		apps = apps[n:]
		var ans *harness.Answer
		var err error
		if batch%2 == 0 {
			var payload []byte
			payload, err = harness.MetricAlert{Rule: fmt.Sprintf("High memory batch %d", batch), SubscriptionID: strings.Split(targets[0], "/")[2],
				RuleGroup: "rg-chaos", AlertGUID: fmt.Sprintf("%08x-0000-4000-8000-%012x", seed, batch), Targets: targets,
				FiredAt: time.Now()}.CommonSchema()
			if err != nil {
				return nil, err
			}
			ans, err = c.PostAlert(ctx, payload)
		} else {
			ans, err = c.PostCapture(ctx, ingest.CaptureRequest{Targets: policy.Targets{Apps: targets},
				ActionSpec: policy.ActionSpec{Action: policy.ActionAnalyze, DumpType: messages.DumpMini},
				RequestID:  fmt.Sprintf("chaos-%d-%d", seed, batch), Reason: "chaos bulk capture"})
		}
		if err != nil {
			return nil, err
		}
		if ans.Jobs != n {
			return nil, fmt.Errorf("trigger %d: %d jobs for %d apps", batch, ans.Jobs, n)
		}
		ids = append(ids, ans.IncidentID)
	}
	return ids, nil
}

// waitAll waits until every incident's report is final (every job
// reported, every dump analyzed), or timeout.
func waitAll(ctx context.Context, p *harness.Pipeline, incidents []string, timeout time.Duration, logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, err := p.OpenBucket(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	pending := append([]string(nil), incidents...)
	lastLog := time.Now()
	for len(pending) > 0 {
		var still []string
		captured, failed := 0, 0
		for _, id := range pending {
			inc, err := harness.ReadReport(ctx, b, id)
			switch {
			case errors.Is(err, blob.ErrNotFound):
				still = append(still, id)
			case err != nil:
				return err
			case !harness.Final(inc):
				still = append(still, id)
				captured += inc.Counts.Captured
				failed += inc.Counts.Failed
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Since(lastLog) > 5*time.Second {
			logf("%d/%d incidents final; in the others so far %d captured, %d failed", len(incidents)-len(pending), len(incidents), captured, failed)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d incidents not final after %s: %s", len(pending), len(incidents), timeout, strings.Join(pending[:min(5, len(pending))], ", "))
		case <-time.After(500 * time.Millisecond):
		}
	}
	logf("all %d incidents final", len(incidents))
	return nil
}

// check opens the stores and runs harness.Check.
func check(ctx context.Context, p *harness.Pipeline, truth harness.Truth) (*harness.Summary, error) {
	b, err := p.OpenBucket(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	queues := map[string]queue.Queue{}
	for _, name := range []string{backend.CapturesQueue, backend.AnalysisQueue} {
		q, err := p.OpenQueue(ctx, name)
		if err != nil {
			return nil, err
		}
		defer q.Close()
		queues[name] = q
	}
	return harness.Check(ctx, b, queues, truth)
}

func faultKind(e sim.Event) string {
	d := e.Detail
	if i := strings.IndexAny(d, " :("); i > 0 {
		d = d[:i]
	}
	if d == "" {
		d = fmt.Sprint(e.Status)
	}
	return d
}

// report is the human-readable part of the summary.
func report(r *result) []string {
	s := r.Summary
	out := []string{
		fmt.Sprintf("targets %d: captured %d (%d bytes, byte-identical to the simulator's), failed %d, lost %d, vanished %d",
			s.Targets, s.Captured, s.Bytes, s.Failed, s.Lost, s.Vanished),
		fmt.Sprintf("duplicates %d, duplicate requests %d (of %d dump requests), corrupt %d, orphans %d, analyzed %d, unanalyzed %d, final reports %d/%d",
			s.Duplicates, s.DuplicateRequests, s.DumpRequests, s.Corrupt, s.Orphans, s.Analyzed, s.Unanalyzed, s.Reports, s.Incidents),
		fmt.Sprintf("dead-lettered %d, left in queues %d; kills %v; faults %v; scale-ins %d", s.DeadLettered, s.LeftInQueues, r.Kills, r.Faults, r.ScaleIns),
	}
	for _, m := range []map[string]int{s.FailedReasons, s.DeadLetteredReasons} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, fmt.Sprintf("  %4d × %s", m[k], k))
		}
	}
	for _, p := range r.Problems {
		out = append(out, "PROBLEM: "+p)
	}
	return out
}

func sizeText(n int64) string {
	if n == 0 {
		return "their natural size"
	}
	return fmt.Sprintf("%d bytes", n)
}

// finishedDumps counts the dumps the simulator has fully sent or written:
// the pipeline's progress, which paces the monkey.
func finishedDumps(events []sim.Event) int {
	n := 0
	for _, e := range events {
		if (e.Kind == sim.EventDump || e.Kind == sim.EventStagedDump || e.Kind == sim.EventVFSRead) && e.Complete {
			n++
		}
	}
	return n
}
