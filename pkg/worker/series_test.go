package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// seriesClock is a clock that runs with the wall clock plus an offset, and
// a SleepUntil that advances the offset instead of waiting: a series of
// dumps 10 s apart takes milliseconds, while the times the engine records
// still show the interval. Concurrent sleepers move the clock to the
// latest of their wake-up times.
type seriesClock struct {
	mu    sync.Mutex
	off   time.Duration
	slept []time.Duration
	// onSleep, when set, runs (without the lock) before each sleep; its
	// error is returned instead of sleeping.
	onSleep func(ctx context.Context, n int) error
}

func (c *seriesClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *seriesClock) sleep(ctx context.Context, until time.Time) error {
	c.mu.Lock()
	c.slept = append(c.slept, until.Sub(time.Now().Add(c.off)))
	n := len(c.slept)
	c.mu.Unlock()
	if c.onSleep != nil {
		if err := c.onSleep(ctx, n); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = max(c.off, time.Until(until))
	return nil
}

func (c *seriesClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func seriesEngine(t *testing.T, k Kudu, dir string, pub Publisher, c *seriesClock) *Engine {
	return simEngine(t, k, dir, pub, func(cfg *Config) { cfg.Now, cfg.SleepUntil = c.now, c.sleep })
}

func seriesAction(kill bool) messages.Action {
	return messages.Action{DumpType: messages.DumpMini, Analyze: true, Kill: kill, Series: &messages.Series{Count: 3, IntervalSeconds: 10}}
}

// bySeries groups a job's rows by series id, each in index order.
func bySeries(t *testing.T, c messages.JobCompleted) map[string][]messages.TargetResult {
	t.Helper()
	out := map[string][]messages.TargetResult{}
	for _, r := range c.Targets {
		if r.Series == nil {
			t.Fatalf("row without series: %+v", r)
		}
		out[r.Series.ID] = append(out[r.Series.ID], r)
	}
	for _, rs := range out {
		sort.Slice(rs, func(i, k int) bool { return rs[i].Series.Index < rs[k].Series.Index })
	}
	return out
}

// Two instances: a series per target, each killed after its last dump.
// (Gaps between capture times are checked with one target only: the fake
// clock jumps for every target when one of them sleeps.)
func TestSeriesTakesCountDumpsIntervalApartThenKills(t *testing.T) {
	for _, instances := range []int{1, 2} {
		t.Run(fmt.Sprint(instances, " instances"), func(t *testing.T) { testSeries(t, instances) })
	}
}

func testSeries(t *testing.T, instances int) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: instances, Seed: 21, NoRespawn: true})
	clock := &seriesClock{}
	pub := &memPublisher{}
	e := seriesEngine(t, k, t.TempDir(), pub, clock)
	res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], seriesAction(true), messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	series := bySeries(t, res.Completed)
	if len(series) != instances || len(res.Dumps) != 3*instances || pub.count(messages.TypeDumpCaptured) != 3*instances {
		t.Fatalf("%d series, %d dumps (%d published), want %d series of 3", len(series), len(res.Dumps), pub.count(messages.TypeDumpCaptured), instances)
	}
	captured := map[string]messages.DumpCaptured{}
	for _, d := range res.Dumps {
		captured[d.DumpKey] = d
	}
	for id, rows := range series {
		if len(rows) != 3 {
			t.Fatalf("series %s has %d rows", id, len(rows))
		}
		for i, r := range rows {
			if r.Outcome != messages.OutcomeCaptured || r.Series.Index != i+1 || r.Series.Count != 3 || r.Series.IntervalSeconds != 10 {
				t.Fatalf("series %s row %d: %+v (series %+v)", id, i, r, r.Series)
			}
			if r.PID != rows[0].PID || r.Instance != rows[0].Instance {
				t.Fatalf("series %s mixes targets", id)
			}
			if !strings.HasSuffix(r.DumpKey, fmt.Sprintf("-%d.%d.dmp", r.PID, i+1)) {
				t.Errorf("dump key %s", r.DumpKey)
			}
			// Only the last dump is followed by the kill.
			if last := i == 2; (r.Kill != nil) != last || last && !r.Kill.Done {
				t.Errorf("series %s dump %d kill %+v", id, i+1, r.Kill)
			}
			d, ok := captured[r.DumpKey]
			if !ok || d.Series == nil || *d.Series != *r.Series {
				t.Fatalf("dump_captured for %s: %+v", r.DumpKey, d.Series)
			}
			if i > 0 && instances == 1 {
				// Start to start 10 s apart on the engine's clock: the
				// capture times differ by 10 s plus the difference of the
				// two dumps' durations (milliseconds here, more under load).
				prev := captured[rows[i-1].DumpKey]
				gap := d.CapturedAt.Sub(prev.CapturedAt) - time.Duration(d.DurationMS-prev.DurationMS)*time.Millisecond
				if gap < 10*time.Second-500*time.Millisecond || gap > 12*time.Second {
					t.Errorf("series %s: dump %d started %v after dump %d, want 10 s", id, i+1, gap, i)
				}
			}
		}
	}
	if s := clock.sleeps(); len(s) == 0 {
		t.Fatal("the engine never waited between dumps")
	}
	for _, d := range clock.sleeps() {
		if d <= 0 || d > 10*time.Second {
			t.Errorf("slept %v between dumps, want at most the 10 s interval", d)
		}
	}
	// Ground truth: three dumps of each pid, the kill after the third.
	dumpsOf, killedAfter := map[int]int{}, map[int]int{}
	for _, ev := range srv.Events() {
		switch ev.Kind {
		case sim.EventDump:
			if ev.Complete {
				dumpsOf[ev.PID]++
			}
		case sim.EventKill:
			for _, pid := range ev.Killed {
				killedAfter[pid] = dumpsOf[pid]
			}
		}
	}
	for _, rows := range series {
		pid := rows[0].PID
		if dumpsOf[pid] != 3 || killedAfter[pid] != 3 {
			t.Errorf("pid %d: simulator served %d dumps, killed after %d; want 3 and 3", pid, dumpsOf[pid], killedAfter[pid])
		}
	}
}

// Direct and staged dumps fail differently when the process has exited
// (Kudu's 404 against ProcDump's exit code): both end the series.
func TestSeriesStopsWhenTheProcessIsGone(t *testing.T) {
	for _, strategy := range []string{messages.StrategyDirect, messages.StrategyStaged} {
		t.Run(strategy, func(t *testing.T) { testSeriesStopsWhenTheProcessIsGone(t, strategy) })
	}
}

func testSeriesStopsWhenTheProcessIsGone(t *testing.T, strategy string) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 22, NoRespawn: true})
	app := srv.Info().Apps[0]
	site := simSite(t, app)
	inst := app.Instances[0]
	procs, err := k.Processes(bg, site, inst)
	if err != nil {
		t.Fatal(err)
	}
	clock := &seriesClock{}
	// The w3wp ends between the first and the second dump.
	clock.onSleep = func(ctx context.Context, n int) error {
		if n == 1 {
			for _, p := range procs {
				if d, err := k.Process(ctx, site, inst, p.PID); err == nil && strings.EqualFold(p.Name, "w3wp") && !d.IsSCM {
					return k.Kill(ctx, site, inst, p.PID)
				}
			}
			return errors.New("no app w3wp to end")
		}
		return nil
	}
	e := seriesEngine(t, k, t.TempDir(), nil, clock)
	action := seriesAction(false)
	action.Strategy = strategy
	res, err := e.Capture(bg, simJob(t, simIncident, app, action, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	rows := bySeries(t, res.Completed)
	if len(rows) != 1 {
		t.Fatalf("%d series", len(rows))
	}
	for _, rs := range rows {
		want := []string{messages.OutcomeCaptured, messages.OutcomeFailed, messages.OutcomeSkipped}
		for i, r := range rs {
			if r.Outcome != want[i] || r.Series.Index != i+1 {
				t.Errorf("dump %d: %s (%s), want %s", i+1, r.Outcome, r.Reason, want[i])
			}
		}
		if len(rs) != 3 || !strings.Contains(rs[2].Reason, "no longer running") {
			t.Errorf("rows %+v", rs)
		}
	}
	if len(res.Dumps) != 1 {
		t.Errorf("%d dumps stored, want 1", len(res.Dumps))
	}
}

// Stop during the wait interrupts the job; the redelivery takes the dumps
// still missing and does not take the stored one again.
func TestSeriesInterruptedThenRedelivered(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 23})
	app := srv.Info().Apps[0]
	dir := t.TempDir()
	job := simJob(t, simIncident, app, seriesAction(false), messages.Selector{})

	first := &seriesClock{}
	var e1 *Engine
	first.onSleep = func(ctx context.Context, n int) error {
		e1.Stop()
		<-ctx.Done() // the stop ends the wait
		return ctx.Err()
	}
	e1 = seriesEngine(t, k, dir, nil, first)
	res, err := e1.Capture(bg, job)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	if res == nil || len(res.Dumps) != 1 {
		t.Fatalf("first delivery stored %v", res)
	}

	second := &seriesClock{}
	res, err = seriesEngine(t, k, dir, nil, second).Capture(bg, job)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range bySeries(t, res.Completed) {
		if len(rs) != 3 {
			t.Fatalf("rows %+v", rs)
		}
		for i, r := range rs {
			if r.Outcome != messages.OutcomeCaptured {
				t.Fatalf("dump %d: %s %s", i+1, r.Outcome, r.Reason)
			}
			if again := strings.Contains(r.Reason, "earlier delivery"); again != (i == 0) {
				t.Errorf("dump %d: reason %q", i+1, r.Reason)
			}
		}
	}
	// The stored dump was not waited for again: one wait, between the
	// second and the third dump.
	if s := second.sleeps(); len(s) != 1 {
		t.Errorf("redelivery slept %v, want once", s)
	}
	if n := len(simEvents(srv, sim.EventDump)); n != 3 {
		t.Errorf("simulator served %d dumps, want 3", n)
	}
}

// The series of two instances run side by side, not one after the other,
// even with one dump in flight at a time: the second instance's first dump
// is taken before the first instance's last.
func TestSeriesOfInstancesInterleave(t *testing.T) {
	srv, k := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 24})
	clock := &seriesClock{}
	e := simEngine(t, k, t.TempDir(), nil, func(cfg *Config) {
		cfg.Now, cfg.SleepUntil, cfg.Concurrency = clock.now, clock.sleep, 1
	})
	act := seriesAction(false)
	act.Strategy = messages.StrategyStaged
	res, err := e.Capture(bg, simJob(t, simIncident, srv.Info().Apps[0], act, messages.Selector{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dumps) != 6 {
		t.Fatalf("%d dumps, want 6", len(res.Dumps))
	}
	first, last := map[string]int{}, map[string]int{}
	for _, ev := range simEvents(srv, sim.EventStagedDump) {
		if _, ok := first[ev.Instance]; !ok {
			first[ev.Instance] = ev.Seq
		}
		last[ev.Instance] = ev.Seq
	}
	if len(first) != 2 {
		t.Fatalf("staged dumps on %d instances", len(first))
	}
	for a := range first {
		for b := range first {
			if a != b && first[b] > last[a] && first[a] < first[b] {
				t.Errorf("instance %s's series started after %s's had ended", shortID(b), shortID(a))
			}
		}
	}
}
