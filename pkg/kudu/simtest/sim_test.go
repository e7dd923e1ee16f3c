package simtest_test

// End-to-end tests of the client against the Kudu simulator
// (test/kudusim/sim), which reproduces Kudu's documented behaviour.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

func startSim(t *testing.T, cfg sim.Config) *sim.Server {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// simClients returns the ARM client and the site client of the first app.
func simClients(t *testing.T, s *sim.Server, armAuth, auth kudu.Auth) (*kudu.ARM, *kudu.Client, string) {
	t.Helper()
	info := s.Info()
	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate, Auth: armAuth})
	if err != nil {
		t.Fatal(err)
	}
	rid := info.Apps[0].ResourceID
	scm, err := arm.SCMURL(context.Background(), rid)
	if err != nil {
		t.Fatal(err)
	}
	if scm != info.Apps[0].SCMURL {
		t.Fatalf("SCM URL %s, simulator says %s", scm, info.Apps[0].SCMURL)
	}
	c, err := kudu.New(kudu.Config{SCMURL: scm, Auth: auth, RequestTimeout: 10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second, IdleReadTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return arm, c, rid
}

// appProcess finds the site's w3wp (not the SCM one) on a verified client.
func appProcess(t *testing.T, c *kudu.Client) *kudu.Process {
	t.Helper()
	ctx := context.Background()
	ps, err := c.ListProcesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name != "w3wp" {
			continue
		}
		d, err := c.Process(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsSCMSite {
			return d
		}
	}
	t.Fatal("no app w3wp")
	return nil
}

func drain(t *testing.T, d *kudu.Dump) (int64, string) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, d.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Body.Close(); err != nil {
		t.Fatal(err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

func simEvent(s *sim.Server, kind string, pid int) *sim.Event {
	_ = s.Settle(context.Background())
	for _, e := range s.Events() {
		if e.Kind == kind && e.PID == pid {
			return &e
		}
	}
	return nil
}

func TestSimulatorDumpsAndKill(t *testing.T) {
	const size = 2 << 20
	s := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 7, DumpSize: size, DumpWriteTime: 20 * time.Millisecond})
	arm, site, rid := simClients(t, s, nil, nil)
	ctx := context.Background()
	insts, err := arm.ListInstances(ctx, rid)
	if err != nil || len(insts) != 2 {
		t.Fatalf("instances %v %v", insts, err)
	}
	for i, in := range insts {
		c, err := site.Instance(in.ID)
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.VerifyInstance(ctx)
		if err != nil || id.InstanceID != in.ID {
			t.Fatalf("verify %s: %+v %v", in.ID, id, err)
		}
		p := appProcess(t, c)
		var dumper kudu.Dumper = c
		kind := sim.EventDump
		if i == 1 {
			if dumper, err = kudu.NewStaged(c, kudu.StagedConfig{PollInterval: 10 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			kind = sim.EventStagedDump
		}
		d, err := dumper.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull})
		if err != nil {
			t.Fatalf("%s dump: %v", kind, err)
		}
		if d.Size != size || d.FileName == "" {
			t.Fatalf("%s dump size %d name %q", kind, d.Size, d.FileName)
		}
		n, sum := drain(t, d)
		ev := simEvent(s, kind, p.ID)
		if ev == nil || n != size || ev.SHA256 != sum {
			t.Fatalf("%s dump: %d bytes sha %s, simulator event %+v", kind, n, sum, ev)
		}
		if i == 0 && !strings.HasPrefix(d.FileName, "w3wp-"+in.ID[:6]+"-") {
			t.Fatalf("direct dump file name %q", d.FileName)
		}
		if err := c.Kill(ctx, p.ID); err != nil {
			t.Fatalf("kill: %v", err)
		}
		if err := c.Kill(ctx, p.ID); !errors.Is(err, kudu.ErrNotFound) {
			t.Fatalf("second kill: %v", err)
		}
		if q := appProcess(t, c); q.ID == p.ID {
			t.Fatal("w3wp not respawned with a new pid")
		}
		if err := c.Kill(ctx, id.SCMPID); !errors.Is(err, kudu.ErrRefused) {
			t.Fatalf("kill SCM: %v", err)
		}
	}
}

func TestSimulatorWrongInstance(t *testing.T) {
	s := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 3})
	arm, site, rid := simClients(t, s, nil, nil)
	ctx := context.Background()
	insts, err := arm.ListInstances(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	gone := insts[0].ID
	if err := s.RemoveInstance(s.Info().Apps[0].Name, gone); err != nil {
		t.Fatal(err)
	}
	c, _ := site.Instance(gone)
	if _, err := c.VerifyInstance(ctx); !errors.Is(err, kudu.ErrWrongInstance) {
		t.Fatalf("scaled-in instance: %v", err)
	}
}

type tokenCred struct{ token string }

func (c tokenCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestSimulatorAuth(t *testing.T) {
	ctx := context.Background()
	t.Run("bearer", func(t *testing.T) {
		s := startSim(t, sim.Config{Auth: sim.Auth{Tokens: []string{"good"}}})
		b, _ := kudu.NewBearer(tokenCred{"good"})
		armB, _ := kudu.NewBearer(tokenCred{"good"}, kudu.ARMScope)
		_, c, _ := simClients(t, s, armB, b)
		if _, err := c.ListProcesses(ctx); err != nil {
			t.Fatal(err)
		}
		bad, _ := kudu.NewBearer(tokenCred{"bad"})
		_, c, _ = simClients(t, s, armB, bad)
		if _, err := c.ListProcesses(ctx); !errors.Is(err, kudu.ErrUnauthorized) {
			t.Fatalf("bad token: %v", err)
		}
	})
	t.Run("basic", func(t *testing.T) {
		s := startSim(t, sim.Config{Auth: sim.Auth{Password: "pw"}})
		t.Setenv("SIM_PW", "pw")
		b, _ := kudu.NewBasic("$"+s.Info().Apps[0].Name, kudu.SecretFromEnv("SIM_PW"))
		_, c, _ := simClients(t, s, b, b)
		if _, err := c.ListProcesses(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSimulatorFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("throttle", func(t *testing.T) {
		s := startSim(t, sim.Config{Faults: sim.Faults{Seed: 1, ThrottleRate: 1, RetryAfter: 3 * time.Second}})
		_, c, _ := simClientsNoARM(t, s)
		_, err := c.ListProcesses(ctx)
		if d, ok := kudu.RetryAfter(err); !ok || d != 3*time.Second || !kudu.IsTransient(err) {
			t.Fatalf("429: %v", err)
		}
	})
	t.Run("5xx", func(t *testing.T) {
		s := startSim(t, sim.Config{Faults: sim.Faults{Seed: 1, ErrorRate: 1}})
		_, c, _ := simClientsNoARM(t, s)
		var ae *kudu.APIError
		if _, err := c.ListProcesses(ctx); !errors.As(err, &ae) || ae.StatusCode < 500 || !kudu.IsTransient(err) {
			t.Fatalf("5xx: %v", err)
		}
	})
	t.Run("reset direct dump", func(t *testing.T) {
		s := startSim(t, sim.Config{DumpSize: 1 << 20, DumpWriteTime: -1, Faults: sim.Faults{Seed: 1, ResetRate: 1}})
		_, c, _ := simClientsNoARM(t, s)
		d, err := c.Dump(ctx, kudu.PIDApp, kudu.DumpOptions{Type: kudu.DumpFull})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Body.Close()
		if _, err := io.Copy(io.Discard, d.Body); !errors.Is(err, kudu.ErrTruncated) || !kudu.IsTransient(err) {
			t.Fatalf("reset: %v", err)
		}
	})
	t.Run("reset staged download resumes", func(t *testing.T) {
		s := startSim(t, sim.Config{DumpSize: 1 << 20, DumpWriteTime: 10 * time.Millisecond, Faults: sim.Faults{Seed: 5, ResetRate: 0.5}})
		_, site, _ := simClientsNoARM(t, s)
		c, _ := site.Instance(s.Info().Apps[0].Instances[0])
		if _, err := c.VerifyInstance(ctx); err != nil {
			t.Fatal(err)
		}
		p := appProcess(t, c)
		st, _ := kudu.NewStaged(c, kudu.StagedConfig{PollInterval: 10 * time.Millisecond, MaxResumes: 30})
		// Resets are drawn at random (rate 0.5): dump until one download
		// needed a ranged resume; every download must be intact.
		resumed := func() bool {
			for _, e := range s.Events() {
				if e.Kind == sim.EventVFSRead && e.Offset > 0 {
					return true
				}
			}
			return false
		}
		for try := 0; try < 15 && !resumed(); try++ {
			d, err := st.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull})
			if err != nil {
				t.Fatal(err)
			}
			n, sum := drain(t, d)
			ev := simEvent(s, sim.EventStagedDump, p.ID)
			if n != 1<<20 || ev == nil || ev.SHA256 != sum {
				t.Fatalf("staged dump: %d bytes, event %+v", n, ev)
			}
			_ = s.Settle(ctx)
		}
		if !resumed() {
			t.Fatal("no ranged resume happened; the test proves nothing")
		}
	})
}

// simClientsNoARM builds a site client straight from the simulator's info.
func simClientsNoARM(t *testing.T, s *sim.Server) (*kudu.ARM, *kudu.Client, string) {
	c, err := kudu.New(kudu.Config{SCMURL: s.Info().Apps[0].SCMURL, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return nil, c, s.Info().Apps[0].ResourceID
}

// TestSimulatorFirstByteLimit: a dump that takes longer to write than the
// front end's first-byte limit fails directly (504, transient) but works
// staged, where the command's answer is lost and the VFS tells completion.
func TestSimulatorFirstByteLimit(t *testing.T) {
	s := startSim(t, sim.Config{DumpSize: 1 << 20, DumpWriteTime: 400 * time.Millisecond, FirstByteLimit: 100 * time.Millisecond})
	ctx := context.Background()
	_, site, _ := simClientsNoARM(t, s)
	c, _ := site.Instance(s.Info().Apps[0].Instances[0])
	if _, err := c.VerifyInstance(ctx); err != nil {
		t.Fatal(err)
	}
	p := appProcess(t, c)
	var ae *kudu.APIError
	if _, err := c.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull}); !errors.As(err, &ae) || ae.StatusCode != 504 || !kudu.IsTransient(err) {
		t.Fatalf("direct dump past the limit: %v", err)
	}
	_ = s.Settle(ctx) // let the abandoned direct dump release the staging file
	st, _ := kudu.NewStaged(c, kudu.StagedConfig{PollInterval: 20 * time.Millisecond})
	d, err := st.Dump(ctx, p.ID, kudu.DumpOptions{Type: kudu.DumpFull})
	if err != nil {
		t.Fatalf("staged dump past the limit: %v", err)
	}
	n, sum := drain(t, d)
	ev := simEvent(s, sim.EventStagedDump, p.ID)
	if n != 1<<20 || ev == nil || ev.SHA256 != sum {
		t.Fatalf("staged: %d bytes, event %+v", n, ev)
	}
}
