package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// TestStagedCloneDumpPausesLess: the staged strategy's default dumps a
// clone (procdump -r), and the simulator's target is suspended only while
// it is cloned; with NoClone it is suspended for the whole write. The
// pauses are the simulator's measurements of its target (sim.Event.Pause).
func TestStagedCloneDumpPausesLess(t *testing.T) {
	const write, clonePause = 600 * time.Millisecond, 10 * time.Millisecond
	s := startSim(t, sim.Config{DumpSize: 1 << 20, DumpWriteTime: write, ClonePause: clonePause})
	ctx := context.Background()
	_, site, _ := simClientsNoARM(t, s)
	c, _ := site.Instance(s.Info().Apps[0].Instances[0])
	if _, err := c.VerifyInstance(ctx); err != nil {
		t.Fatal(err)
	}
	p := appProcess(t, c)
	pause := func(cfg kudu.StagedConfig) sim.Event {
		t.Helper()
		cfg.PollInterval = 20 * time.Millisecond
		st, err := kudu.NewStaged(c, cfg)
		if err != nil {
			t.Fatal(err)
		}
		before := len(s.Events())
		d, err := st.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := drain(t, d); n != 1<<20 {
			t.Fatalf("dump of %d bytes", n)
		}
		_ = s.Settle(ctx)
		for _, e := range s.Events()[before:] {
			if e.Kind == sim.EventStagedDump && e.PID == p.ID {
				return e
			}
		}
		t.Fatal("no staged-dump event")
		return sim.Event{}
	}
	clone := pause(kudu.StagedConfig{})
	plain := pause(kudu.StagedConfig{NoClone: true})
	t.Logf("target paused %v with a clone (clone up to %d MiB), %v without; the write took %v", clone.Pause, clone.CloneBytes>>20, plain.Pause, write)
	if !clone.Clone || plain.Clone {
		t.Fatalf("default must dump a clone and NoClone must not: clone=%v plain=%v", clone.Clone, plain.Clone)
	}
	if clone.Pause < clonePause || plain.Pause < write {
		t.Fatalf("pauses shorter than the model: clone %v (want ≥ %v), plain %v (want ≥ %v)", clone.Pause, clonePause, plain.Pause, write)
	}
	if clone.Pause >= plain.Pause {
		t.Fatalf("a clone dump paused the target %v, not less than a plain one (%v)", clone.Pause, plain.Pause)
	}
	if clone.CloneBytes <= 0 || plain.CloneBytes != 0 {
		t.Fatalf("clone memory figure: clone %d, plain %d", clone.CloneBytes, plain.CloneBytes)
	}
}
