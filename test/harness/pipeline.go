package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// Config describes a local pipeline: one ingest, Workers workers and
// Analyzers analyzers sharing one queue directory and one blob store.
type Config struct {
	Bins Binaries
	// Dir is the data directory: queue/, blobs/ (unless BlobURL is set),
	// logs/ and policies.json are created in it.
	Dir string
	// ARMURL and SCMURLTemplate point the workers at the simulator.
	ARMURL, SCMURLTemplate string
	// Token is the webhook token (at least 16 characters).
	Token string
	// Policy is the content of ingest's --config file.
	Policy []byte
	// QueueQuery is appended to the file:// queue URL (sqlitequeue options,
	// e.g. "lock=10s&poll=50ms"); every process uses the same.
	QueueQuery string
	// BlobURL overrides the file:// blob store under Dir; Env is added to
	// every process's environment (e.g. a storage connection string).
	BlobURL string
	Env     []string
	// Workers and Analyzers default to 1.
	Workers, Analyzers int
	// WorkerArgs and AnalyzerArgs are extra flags.
	WorkerArgs, AnalyzerArgs []string
	// NoSchedules runs ingest with --schedules=false.
	NoSchedules bool
}

// Pipeline is a running local pipeline. Its methods are safe for
// concurrent use.
type Pipeline struct {
	cfg      Config
	QueueURL string
	BlobURL  string
	// IngestURL is ingest's base URL.
	IngestURL string
	// Client calls IngestURL with the token.
	Client *Client

	mu        sync.Mutex
	ingest    *Proc
	extra     []*Proc // further ingest replicas
	workers   []*Proc
	analyzers []*Proc
	starts    map[string]int // name → times started
}

// StartPipeline starts ingest, the workers and the analyzers and waits
// until ingest listens. On error, whatever was started is stopped.
func StartPipeline(ctx context.Context, cfg Config) (*Pipeline, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Analyzers <= 0 {
		cfg.Analyzers = 1
	}
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, "logs"), filepath.Join(cfg.Dir, "queue")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
	}
	p := &Pipeline{cfg: cfg, starts: map[string]int{}}
	p.QueueURL = backend.FileURL(filepath.Join(cfg.Dir, "queue"))
	if cfg.QueueQuery != "" {
		p.QueueURL += "?" + cfg.QueueQuery
	}
	p.BlobURL = cfg.BlobURL
	if p.BlobURL == "" {
		p.BlobURL = backend.FileURL(filepath.Join(cfg.Dir, "blobs"))
	}
	if err := os.WriteFile(p.PolicyPath(), cfg.Policy, 0o600); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	in, addr, err := p.startIngest(p.PolicyPath(), !cfg.NoSchedules)
	if err != nil {
		return nil, err
	}
	p.ingest = in
	p.IngestURL = "http://" + addr
	p.Client = &Client{BaseURL: p.IngestURL, Token: cfg.Token, HTTP: &http.Client{Timeout: 30 * time.Second}}
	for range cfg.Workers {
		w, err := p.start("worker", cfg.Bins.Worker, p.workerArgs())
		if err != nil {
			_ = p.Stop(5 * time.Second)
			return nil, err
		}
		p.workers = append(p.workers, w)
	}
	for range cfg.Analyzers {
		a, err := p.start("analyzer", cfg.Bins.Analyzer, p.analyzerArgs())
		if err != nil {
			_ = p.Stop(5 * time.Second)
			return nil, err
		}
		p.analyzers = append(p.analyzers, a)
	}
	return p, nil
}

// PolicyPath is the policy file given to ingest.
func (p *Pipeline) PolicyPath() string { return filepath.Join(p.cfg.Dir, "policies.json") }

// LogDir holds one log file per process start.
func (p *Pipeline) LogDir() string { return filepath.Join(p.cfg.Dir, "logs") }

func (p *Pipeline) startIngest(config string, schedules bool) (*Proc, string, error) {
	tokenFile := filepath.Join(p.cfg.Dir, "webhook-token") // secrets never go in flags
	if err := os.WriteFile(tokenFile, []byte(p.cfg.Token), 0o600); err != nil {
		return nil, "", fmt.Errorf("harness: %w", err)
	}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--config", config, "--queue", p.QueueURL, "--blob", p.BlobURL,
		"--webhook-token-file", tokenFile, "--arm-url", p.cfg.ARMURL, "--auth", "none", "--rate", "-1",
		fmt.Sprintf("--schedules=%t", schedules), "--grace", "5s"}
	in, err := p.start("ingest", p.cfg.Bins.Ingest, args)
	if err != nil {
		return nil, "", err
	}
	addr, err := in.WaitListening(60 * time.Second)
	if err != nil {
		_ = in.Stop(5 * time.Second)
		return nil, "", err
	}
	return in, addr, nil
}

// StartIngestReplica starts another ingest on the same queue and blob
// store with its own policy file (e.g. one with a schedule). It is stopped
// by Stop, or earlier by the caller.
func (p *Pipeline) StartIngestReplica(name string, policy []byte) (*Proc, error) {
	path := filepath.Join(p.cfg.Dir, name+".json")
	if err := os.WriteFile(path, policy, 0o600); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	in, _, err := p.startIngest(path, true)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.extra = append(p.extra, in)
	p.mu.Unlock()
	return in, nil
}

func (p *Pipeline) workerArgs() []string {
	args := []string{"serve", "--queue", p.QueueURL, "--blob", p.BlobURL, "--listen", "",
		"--arm-url", p.cfg.ARMURL, "--scm-url-template", p.cfg.SCMURLTemplate, "--auth", "none", "--grace", "10s"}
	return append(args, p.cfg.WorkerArgs...)
}

func (p *Pipeline) analyzerArgs() []string {
	args := []string{"serve", "--queue", p.QueueURL, "--blob", p.BlobURL, "--listen", "", "--grace", "10s"}
	return append(args, p.cfg.AnalyzerArgs...)
}

func (p *Pipeline) start(kind, bin string, args []string) (*Proc, error) {
	p.mu.Lock()
	p.starts[kind]++
	n := p.starts[kind]
	p.mu.Unlock()
	name := fmt.Sprintf("%s-%d", kind, n)
	return StartProc(name, bin, args, p.cfg.Env, filepath.Join(p.LogDir(), name+".log"))
}

// Workers and Analyzers are how many of each run (or ran) in their slots.
func (p *Pipeline) Workers() int   { p.mu.Lock(); defer p.mu.Unlock(); return len(p.workers) }
func (p *Pipeline) Analyzers() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.analyzers) }

// KillWorker SIGKILLs worker i and starts a fresh one in its slot.
func (p *Pipeline) KillWorker(i int) error {
	return p.restart(p.workers, i, "worker", p.cfg.Bins.Worker, p.workerArgs())
}

// KillAnalyzer SIGKILLs analyzer i and starts a fresh one in its slot.
func (p *Pipeline) KillAnalyzer(i int) error {
	return p.restart(p.analyzers, i, "analyzer", p.cfg.Bins.Analyzer, p.analyzerArgs())
}

func (p *Pipeline) restart(slots []*Proc, i int, kind, bin string, args []string) error {
	p.mu.Lock()
	old := slots[i]
	p.mu.Unlock()
	old.Kill()
	np, err := p.start(kind, bin, args)
	if err != nil {
		return err
	}
	p.mu.Lock()
	slots[i] = np
	p.mu.Unlock()
	return nil
}

// Stop sends SIGTERM to every process (ingest first, so nothing new comes
// in; then workers; then analyzers) and waits up to grace for each. It
// returns every process that did not exit cleanly.
func (p *Pipeline) Stop(grace time.Duration) error {
	p.mu.Lock()
	var order [][]*Proc
	if p.ingest != nil {
		order = append(order, []*Proc{p.ingest})
	}
	order = append(order, p.extra, p.workers, p.analyzers)
	p.mu.Unlock()
	var errs []error
	for _, group := range order {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, pr := range group {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := pr.Stop(grace); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	return errors.Join(errs...)
}

// Dead reports processes in the pipeline that exited on their own.
func (p *Pipeline) Dead() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, group := range [][]*Proc{{p.ingest}, p.workers, p.analyzers} {
		for _, pr := range group {
			if pr != nil && pr.Exited() {
				out = append(out, pr.Name+" (see "+pr.Log+")")
			}
		}
	}
	return out
}

// OpenBucket opens the pipeline's blob store in this process.
func (p *Pipeline) OpenBucket(ctx context.Context) (blob.Bucket, error) {
	for _, kv := range p.cfg.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && os.Getenv(k) != v {
			if err := os.Setenv(k, v); err != nil {
				return nil, err
			}
		}
	}
	return backend.OpenBucket(ctx, p.BlobURL)
}

// OpenQueue opens one of the pipeline's queues in this process.
func (p *Pipeline) OpenQueue(ctx context.Context, name string) (queue.Queue, error) {
	return backend.OpenQueue(ctx, p.QueueURL, name)
}

// QueueFiles are the embedded queue's files (sqlitequeue: DIR/NAME.sqlite
// and its write-ahead log DIR/NAME.sqlite-wal, where every commit lands).
func (p *Pipeline) QueueFiles() []string {
	dir := filepath.Join(p.cfg.Dir, "queue")
	var files []string
	for _, name := range []string{backend.CapturesQueue, backend.AnalysisQueue} {
		db := filepath.Join(dir, name+sqlitequeue.FileExt)
		files = append(files, db, db+"-wal")
	}
	return files
}

// WaitQuiet waits until none of files has been modified for quiet, or ctx
// ends; a file that does not exist counts as quiet. The embedded queue
// writes its log on every send, receive, renewal and settlement and never
// while idle, so queue files quiet for longer than the lock duration have
// no message in flight and none due.
func WaitQuiet(ctx context.Context, files []string, quiet time.Duration) error {
	for {
		var latest time.Time
		for _, f := range files {
			st, err := os.Stat(f)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("harness: %w", err)
			}
			if st.ModTime().After(latest) {
				latest = st.ModTime()
			}
		}
		wait := quiet - time.Since(latest)
		if wait <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("harness: queues still busy: %w", ctx.Err())
		case <-time.After(min(wait, time.Second)):
		}
	}
}
