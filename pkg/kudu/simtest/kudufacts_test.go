package simtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// TestSimulatorStagedFolderIsAFile: when a file holds the staged folder's
// name, Kudu (and now the simulator) answers 409 to PUT …/dir/ as it does
// for an existing folder; the staged strategy must fail with that cause
// instead of starting the tool.
func TestSimulatorStagedFolderIsAFile(t *testing.T) {
	s := startSim(t, sim.Config{DumpSize: 2 << 20, DumpWriteTime: -1})
	_, c, _ := simClientsNoARM(t, s)
	a := s.Info().Apps[0]
	req, _ := http.NewRequest(http.MethodPut, a.SCMURL+"/api/vfs/data/blocker", strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT blocker: %v %v", resp, err)
	}
	resp.Body.Close()
	ctx := context.Background()
	if _, err := c.VerifyInstance(ctx); err != nil {
		t.Fatal(err)
	}
	p := appProcess(t, c)
	st, err := kudu.NewStaged(c, kudu.StagedConfig{Dir: `data\blocker`, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpMini}); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("staged dump into a file's name: %v", err)
	}
	for _, e := range s.Events() {
		if e.Kind == sim.EventStagedDump {
			t.Fatalf("the tool ran: %+v", e)
		}
	}
}

// TestSimulatorAppProcessUnderSeparateIdentity: with Kudu under its own
// identity (sim.Config.SeparateSCMIdentity) the plain process list hides
// the app's w3wp (ProcessController's user filter), but the -1 alias
// still finds it and the dump works.
func TestSimulatorAppProcessUnderSeparateIdentity(t *testing.T) {
	s := startSim(t, sim.Config{DumpSize: 2 << 20, DumpWriteTime: -1, SeparateSCMIdentity: true, Child: "none"})
	_, c, _ := simClientsNoARM(t, s)
	ctx := context.Background()
	id, err := c.VerifyInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.ListProcesses(ctx)
	if err != nil || len(ps) != 1 || ps[0].ID != id.SCMPID {
		t.Fatalf("list under a separate identity: %+v %v", ps, err)
	}
	app, err := c.Process(ctx, kudu.PIDApp)
	if err != nil || app.IsSCMSite || app.ID == id.SCMPID {
		t.Fatalf("-1: %+v %v", app, err)
	}
	d, err := c.Dump(ctx, kudu.PIDApp, kudu.DumpOptions{Type: kudu.DumpMini})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := drain(t, d); n == 0 {
		t.Fatal("empty dump")
	}
}
