package kudu

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Assumptions of the staged strategy. None is verified against live App
// Service; each comes from Kudu's source (docs/kudu.md, "VFS, command API
// and the staged dump file") or from the App Service worker image, and
// each can be changed in StagedConfig.
const (
	// DefaultToolPath is ProcDump on Windows App Service workers.
	DefaultToolPath = `D:\devtools\sysinternals\procdump.exe`
	// DefaultFullArgs and DefaultMiniArgs are the tool's arguments; {pid}
	// and {file} are replaced by the pid and the file name (relative to Dir).
	// -r dumps a clone of the process (PssCaptureSnapshot, Windows 8.1 and
	// Server 2012 R2 onwards, so every App Service worker): the target is
	// paused only while it is cloned, not while the dump is written, as App
	// Service's own auto-heal and DaaS run ProcDump (docs/worker.md, "Clone
	// dumps").
	DefaultFullArgs = "-accepteula -r -ma {pid} {file}"
	DefaultMiniArgs = "-accepteula -r -mm {pid} {file}"
	// NoCloneFullArgs and NoCloneMiniArgs dump the process itself, paused
	// for the whole write (StagedConfig.NoClone).
	NoCloneFullArgs = "-accepteula -ma {pid} {file}"
	NoCloneMiniArgs = "-accepteula -mm {pid} {file}"
	// DefaultStagedDir is the folder under %HOME% (the VFS root, shared by
	// all instances of the app) that receives staged dumps. Kudu never
	// deletes files there on its own.
	DefaultStagedDir = `data\dumpflow`
	// DefaultPollInterval is the wait between two VFS checks of the file.
	DefaultPollInterval = 5 * time.Second
	// DefaultMaxWait bounds the whole wait for a complete file.
	DefaultMaxWait = 30 * time.Minute
	// DefaultStableChecks is how many consecutive identical VFS answers
	// (same ETag and length, each an open with share Read|Write|Delete that
	// fails while the tool holds the file) make the file count as complete
	// when the command's own answer was lost (front-end cut at ~230 s).
	DefaultStableChecks = 2
	// DefaultMaxResumes bounds Range resumptions of one download.
	DefaultMaxResumes = 5
	// commandAborted is the ExitCode Kudu reports when it killed the
	// command (idle rule, SCM_COMMAND_IDLE_TIMEOUT, default 60 s without
	// output or CPU) or failed to run it.
	commandAborted = -1
)

// StagedConfig configures the staged strategy. Zero values mean the
// Default… constants above.
type StagedConfig struct {
	ToolPath     string        // dump tool on the instance
	FullArgs     string        // arguments for DumpFull; {pid}, {file}
	MiniArgs     string        // arguments for DumpMini; {pid}, {file}
	Dir          string        // folder under %HOME%, e.g. `data\dumpflow`
	PollInterval time.Duration // between VFS checks
	MaxWait      time.Duration // for the file to be complete
	StableChecks int           // identical VFS answers that mean complete without the command's answer
	MaxResumes   int           // Range resumptions per download
	KeepFile     bool          // leave the file on the server after Close (debugging)
	// NoClone makes the default arguments dump the process itself rather
	// than a clone (no extra memory for the clone; the process is paused
	// for the whole write). Explicit FullArgs/MiniArgs are used as given.
	NoClone bool
}

// Staged is the staged dump strategy: it starts a dump tool through
// POST /api/command on the client's (pinned) instance, writing to a unique
// file under %HOME%; polls the VFS until the file can be opened (the tool
// holds it exclusively while writing); streams it with VFS GET, resuming
// with Range + If-Range after a broken connection; and on Close deletes it
// with If-Match. Unlike the direct strategy there is no shared staging
// file (instances and processes of one app can dump in parallel) and no
// first-byte limit on the download.
//
// This rests on documented source behaviour, not on a live test: keep it
// behind an option until checked on a real app.
type Staged struct {
	cl  *Client
	cfg StagedConfig
}

var _ Dumper = (*Staged)(nil)

// NewStaged returns the staged strategy over cl (pin and verify cl first:
// the tool runs where the command lands).
func NewStaged(cl *Client, cfg StagedConfig) (*Staged, error) {
	if cl == nil {
		return nil, errors.New("kudu: NewStaged: nil client")
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&cfg.ToolPath, DefaultToolPath)
	if cfg.NoClone {
		def(&cfg.FullArgs, NoCloneFullArgs)
		def(&cfg.MiniArgs, NoCloneMiniArgs)
	}
	def(&cfg.FullArgs, DefaultFullArgs)
	def(&cfg.MiniArgs, DefaultMiniArgs)
	def(&cfg.Dir, DefaultStagedDir)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, DefaultPollInterval)
	cfg.MaxWait = cmp.Or(cfg.MaxWait, DefaultMaxWait)
	cfg.StableChecks = cmp.Or(cfg.StableChecks, DefaultStableChecks)
	cfg.MaxResumes = cmp.Or(cfg.MaxResumes, DefaultMaxResumes)
	switch {
	case cfg.PollInterval < 0 || cfg.MaxWait < 0 || cfg.StableChecks < 0 || cfg.MaxResumes < 0:
		return nil, errors.New("kudu: StagedConfig: negative setting")
	case strings.ContainsAny(cfg.ToolPath, `"`+"\r\n"):
		return nil, errors.New("kudu: StagedConfig.ToolPath contains a quote or newline")
	case strings.Contains(cfg.Dir, ".."):
		return nil, errors.New("kudu: StagedConfig.Dir must stay under %HOME%")
	}
	for _, a := range []string{cfg.FullArgs, cfg.MiniArgs} {
		if !strings.Contains(a, "{pid}") || !strings.Contains(a, "{file}") {
			return nil, fmt.Errorf("kudu: StagedConfig: arguments %q lack {pid} or {file}", a)
		}
	}
	return &Staged{cl: cl, cfg: cfg}, nil
}

// Dump implements Dumper. The returned Size is the file's length and
// FileName the staged file's name. Closing Body deletes the server file
// (unless KeepFile); Close returns the delete's error, if any.
func (s *Staged) Dump(ctx context.Context, pid int, opts DumpOptions) (*Dump, error) {
	op := fmt.Sprintf("staged dump of process %d", pid)
	if err := s.cl.checkDumpable(op, pid, opts); err != nil {
		return nil, err
	}
	if pid <= 0 {
		return nil, fmt.Errorf("kudu: %s: %w: the staged strategy needs a real pid", op, ErrRefused)
	}
	var args string
	switch opts.Type {
	case DumpFull:
		args = s.cfg.FullArgs
	case DumpMini:
		args = s.cfg.MiniArgs
	default:
		return nil, fmt.Errorf("kudu: %s: dump type %s is not supported by the staged strategy", op, opts.Type)
	}
	name, err := stagedName(pid, opts.Name)
	if err != nil {
		return nil, fmt.Errorf("kudu: %s: %w", op, err)
	}
	u := s.cl.vfsURL(s.cfg.Dir, name)
	if err := s.cl.vfsMkdir(ctx, s.cfg.Dir); err != nil {
		return nil, err
	}
	// A file left by an earlier attempt under the same name would look complete.
	if err := s.cl.vfsDelete(ctx, u, "*"); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	line := `"` + s.cfg.ToolPath + `" ` + strings.NewReplacer("{pid}", strconv.Itoa(pid), "{file}", name).Replace(args)
	f, err := s.run(ctx, op, line, u, name)
	if err != nil {
		return nil, err
	}
	r := &resumeReader{s: s, ctx: ctx, url: u, file: f, op: op}
	return &Dump{Body: r, Size: f.Size, FileName: name}, nil
}

// cmdOutcome is the end of the command call.
type cmdOutcome struct {
	res *CommandResult
	err error
}

// run starts the tool and polls until the file is complete. It owns the
// command goroutine and waits for it before returning.
func (s *Staged) run(ctx context.Context, op, line, u, name string) (vfsFile, error) {
	cmdCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	done := make(chan cmdOutcome, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, err := s.cl.command(cmdCtx, line, s.cfg.Dir)
		done <- cmdOutcome{res, err}
	}()
	defer wg.Wait()
	defer cancel()

	deadline := time.NewTimer(s.cfg.MaxWait)
	defer deadline.Stop()
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()

	var (
		outcome  *cmdOutcome
		last     vfsFile
		stable   int
		missing  int // 404 answers after the tool exited (share lag)
		lastPoll error
	)
	for {
		select {
		case <-ctx.Done():
			return vfsFile{}, fmt.Errorf("kudu: %s: %w", op, ctx.Err())
		case <-deadline.C:
			return vfsFile{}, fmt.Errorf("kudu: %s: %w: file not complete after %s (last check: %v)", op, ErrStaged, s.cfg.MaxWait, lastPoll)
		case o := <-done:
			outcome = &o
			if o.res != nil && o.res.ExitCode == commandAborted {
				return vfsFile{}, fmt.Errorf("kudu: %s: %w: command aborted by Kudu: %s", op, ErrStaged, clip(o.res.Error))
			}
			if o.err != nil && !IsTransient(o.err) {
				return vfsFile{}, fmt.Errorf("kudu: %s: starting the dump tool: %w", op, o.err)
			}
			if o.err != nil {
				// The answer was lost: a front-end cut after the tool
				// started, or a 429/503 before it did. Only the folder
				// listing can tell (HEAD is 404 in both cases).
				if err := s.awaitStart(ctx, op, name, o.err); err != nil {
					return vfsFile{}, err
				}
			}
		case <-tick.C:
		}
		f, err := s.cl.vfsHead(ctx, u)
		lastPoll = err
		switch {
		case err == nil && outcome != nil && outcome.res != nil:
			return f, nil // the tool exited: the file is closed
		case err == nil:
			if f == last {
				stable++
			} else {
				last, stable = f, 1
			}
			if stable >= s.cfg.StableChecks {
				return f, nil
			}
		case errors.Is(err, ErrNotFound):
			stable = 0
			if outcome != nil && outcome.res != nil {
				if missing++; missing <= s.cfg.StableChecks {
					continue
				}
				r := outcome.res
				return vfsFile{}, fmt.Errorf("kudu: %s: %w: the tool exited with code %d and no file: %s", op, ErrStaged, r.ExitCode, clip(r.Output+" "+r.Error))
			}
		case !IsTransient(err):
			return vfsFile{}, err
		}
	}
}

// awaitStart checks, up to StableChecks times one poll interval apart,
// that the tool's file appears in the folder listing; if it never does,
// the tool did not start and the command call's (transient) error is
// returned so the caller may retry.
func (s *Staged) awaitStart(ctx context.Context, op, name string, cmdErr error) error {
	for i := 0; i <= s.cfg.StableChecks; i++ {
		if i > 0 {
			t := time.NewTimer(s.cfg.PollInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("kudu: %s: %w", op, ctx.Err())
			case <-t.C:
			}
		}
		ok, err := s.cl.vfsListed(ctx, s.cfg.Dir, name)
		if err != nil && !IsTransient(err) {
			return err
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("kudu: %s: the dump tool did not start: %w", op, cmdErr)
}

// stagedName returns a file name for the dump: the sanitized caller name,
// or "dumpflow-{pid}-{random}".
func stagedName(pid int, want string) (string, error) {
	if want == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		return fmt.Sprintf("dumpflow-%d-%s.dmp", pid, hex.EncodeToString(b[:])), nil
	}
	var sb strings.Builder
	for _, r := range want {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	n := strings.Trim(sb.String(), ".")
	if len(n) > 120 {
		n = n[:120]
	}
	if n == "" {
		return "", fmt.Errorf("unusable dump name %q", want)
	}
	if !strings.HasSuffix(strings.ToLower(n), ".dmp") {
		n += ".dmp"
	}
	return n, nil
}
