package worker

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// fakeDump returns a deterministic minidump-like body of n bytes.
func fakeDump(seed string, n int) []byte {
	b := make([]byte, n)
	copy(b, minidumpMagic[:])
	if n >= 32 {
		binary.LittleEndian.PutUint32(b[8:], 3)
	}
	for i := 32; i < n; i++ {
		b[i] = byte(i*7) ^ seed[i%len(seed)]
	}
	return b
}

// fakeKudu is a hand-written Kudu for unit tests.
type fakeKudu struct {
	mu        sync.Mutex
	instances map[string][]string         // site name → instance ids
	procs     map[string]map[int]*Process // site/instance → pid → process
	nextPID   int
	dumpSize  int
	dumpDelay time.Duration
	// dumpFaults pops one error (or body mutation) per Dump call, per key "site/instance/pid".
	dumpFaults map[string][]fault
	listFaults map[string][]error
	dumpCalls  map[string]int
	killCalls  []string
	// per-site concurrency tracking
	inflight, maxInflight map[string]int
	started               chan string
}

// fault is one injected dump failure: an error before the body, or a body
// that is cut, corrupt, or that fails after some bytes.
type fault struct {
	err      error
	truncate int   // body shorter than announced
	corrupt  bool  // wrong signature
	failAt   int   // read error after failAt bytes
	readErr  error // error returned at failAt
}

func newFakeKudu() *fakeKudu {
	return &fakeKudu{
		instances: map[string][]string{}, procs: map[string]map[int]*Process{},
		nextPID: 1000, dumpSize: 4096, dumpFaults: map[string][]fault{}, listFaults: map[string][]error{},
		dumpCalls: map[string]int{}, inflight: map[string]int{}, maxInflight: map[string]int{},
	}
}

// addSite adds a site with n instances, each with the SCM w3wp (pid 0 is
// not listed by real Kudu's list, so it gets a real pid), the app's w3wp,
// a dotnet child and a webjob.
func (f *fakeKudu) addSite(name string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range n {
		id := fmt.Sprintf("%s%02d%s", strings.Repeat("ab", 4), i, name)
		f.instances[name] = append(f.instances[name], id)
		m := map[int]*Process{}
		machine := fmt.Sprintf("DW%s%02d", strings.ToUpper(name), i)
		scm := f.pid()
		app := f.pid()
		child := f.pid()
		job := f.pid()
		start := time.Now().Add(-time.Hour)
		m[scm] = &Process{PID: scm, Name: "w3wp", MachineName: machine, Detailed: true, IsSCM: true, PrivateMemory: 50 << 20, StartTime: start}
		m[app] = &Process{PID: app, Name: "w3wp", MachineName: machine, Detailed: true, PrivateMemory: 800 << 20, StartTime: start, ChildPIDs: []int{child}}
		m[child] = &Process{PID: child, Name: "dotnet", MachineName: machine, Detailed: true, PrivateMemory: 900 << 20, StartTime: start, ParentPID: app}
		m[job] = &Process{PID: job, Name: "w3wp", MachineName: machine, Detailed: true, IsWebJob: true, PrivateMemory: 10 << 20, StartTime: start}
		f.procs[name+"/"+id] = m
	}
}

func (f *fakeKudu) pid() int { f.nextPID += 4; return f.nextPID }

func (f *fakeKudu) Instances(ctx context.Context, site messages.Site) ([]Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Instance
	for _, id := range f.instances[site.Name] {
		out = append(out, Instance{ID: id, State: "READY"})
	}
	return out, nil
}

func (f *fakeKudu) instance(site messages.Site, inst string) (map[int]*Process, error) {
	m, ok := f.procs[site.Name+"/"+inst]
	if !ok {
		return nil, &KuduError{Kind: ErrorKindWrongInstance, Err: fmt.Errorf("instance %s answered by another", inst)}
	}
	return m, nil
}

func (f *fakeKudu) Processes(ctx context.Context, site messages.Site, inst string) ([]Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := site.Name + "/" + inst
	if errs := f.listFaults[k]; len(errs) > 0 {
		f.listFaults[k] = errs[1:]
		return nil, errs[0]
	}
	m, err := f.instance(site, inst)
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, p := range m {
		out = append(out, Process{PID: p.PID, Name: p.Name, MachineName: p.MachineName})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

func (f *fakeKudu) Process(ctx context.Context, site messages.Site, inst string, pid int) (Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.instance(site, inst)
	if err != nil {
		return Process{}, err
	}
	p, ok := m[pid]
	if !ok {
		return Process{}, &KuduError{Kind: ErrorKindNotFound, StatusCode: 404, Err: fmt.Errorf("process %d is not running", pid)}
	}
	return *p, nil
}

func (f *fakeKudu) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	key := fmt.Sprintf("%s/%s/%d", req.Site.Name, req.Instance, req.PID)
	f.mu.Lock()
	f.dumpCalls[key]++
	var ft fault
	if fs := f.dumpFaults[key]; len(fs) > 0 {
		ft, f.dumpFaults[key] = fs[0], fs[1:]
	}
	m, err := f.instance(req.Site, req.Instance)
	if err == nil {
		if p, ok := m[req.PID]; !ok {
			err = &KuduError{Kind: ErrorKindNotFound, StatusCode: 404, Err: fmt.Errorf("process %d is not running", req.PID)}
		} else if p.IsSCM {
			err = &KuduError{Kind: ErrorKindPermanent, Err: fmt.Errorf("refused: SCM")}
		}
	}
	if err == nil && ft.err != nil {
		err = ft.err
	}
	if err != nil {
		f.mu.Unlock()
		return nil, 0, err
	}
	f.inflight[req.Site.Name]++
	f.maxInflight[req.Site.Name] = max(f.maxInflight[req.Site.Name], f.inflight[req.Site.Name])
	started := f.started
	f.mu.Unlock()
	if started != nil {
		started <- key
	}
	defer func() {
		f.mu.Lock()
		f.inflight[req.Site.Name]--
		f.mu.Unlock()
	}()
	if f.dumpDelay > 0 {
		select {
		case <-time.After(f.dumpDelay):
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	data := fakeDump(key, f.dumpSize)
	size := int64(len(data))
	if ft.corrupt {
		copy(data, "<html>")
	}
	if ft.truncate > 0 {
		data = data[:ft.truncate]
	}
	var r io.Reader = bytes.NewReader(data)
	if ft.failAt > 0 {
		r = io.MultiReader(bytes.NewReader(data[:ft.failAt]), errReader{ft.readErr})
	}
	return io.NopCloser(r), size, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (f *fakeKudu) Kill(ctx context.Context, site messages.Site, inst string, pid int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.instance(site, inst)
	if err != nil {
		return err
	}
	p, ok := m[pid]
	if !ok {
		return &KuduError{Kind: ErrorKindNotFound, StatusCode: 404, Err: fmt.Errorf("process %d is not running", pid)}
	}
	if p.IsSCM {
		return &KuduError{Kind: ErrorKindPermanent, Err: fmt.Errorf("refused: SCM")}
	}
	f.killCalls = append(f.killCalls, fmt.Sprintf("%s/%s/%d", site.Name, inst, pid))
	delete(m, pid)
	for _, c := range p.ChildPIDs {
		delete(m, c)
	}
	if p.Name == "w3wp" {
		np := f.pid()
		m[np] = &Process{PID: np, Name: "w3wp", MachineName: p.MachineName, Detailed: true, PrivateMemory: 100 << 20, StartTime: time.Now()}
	}
	return nil
}

func (f *fakeKudu) calls(site, inst string, pid int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dumpCalls[fmt.Sprintf("%s/%s/%d", site, inst, pid)]
}

// appPID returns the app's w3wp pid on an instance.
func (f *fakeKudu) appPID(site, inst string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.procs[site+"/"+inst] {
		if p.Name == "w3wp" && !p.IsSCM && !p.IsWebJob {
			return p.PID
		}
	}
	return 0
}

func (f *fakeKudu) scmPID(site, inst string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.procs[site+"/"+inst] {
		if p.IsSCM {
			return p.PID
		}
	}
	return 0
}

// memPublisher records published envelopes.
type memPublisher struct {
	mu   sync.Mutex
	envs []messages.Envelope
}

func (p *memPublisher) Publish(ctx context.Context, env messages.Envelope) error {
	if _, err := messages.Encode(env); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.envs = append(p.envs, env)
	return nil
}

func (p *memPublisher) count(typ string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.envs {
		if e.Type == typ {
			n++
		}
	}
	return n
}
