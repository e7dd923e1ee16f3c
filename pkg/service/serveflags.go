package service

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
)

// ServeFlags are the flags every `serve` command shares, with the same
// names in every binary (docs/contracts.md): --listen, --queue, --blob,
// --log-level and --grace. Metrics and tracing have no flags: Start serves
// /metrics on the --listen address and reads the standard OTEL_*
// variables. Each binary registers these, then only its own flags.
type ServeFlags struct {
	Listen   string
	Queue    string
	Blob     string
	LogLevel string
	Grace    time.Duration
}

// ServeDefaults are one binary's defaults and help texts for ServeFlags.
type ServeDefaults struct {
	// Listen is --listen's default; ListenHelp says what is served there.
	Listen, ListenHelp string
	// Queues names the queues the binary reads and writes, for --queue's
	// help (e.g. `reads "analysis"`); empty says nothing.
	Queues string
	// Grace is --grace's default; GraceHelp says what it bounds.
	Grace     time.Duration
	GraceHelp string
}

// Register defines the shared flags on fs with d's defaults. The queue and
// blob URLs default to the embedded backends under the data directory
// (backend.DefaultQueueURL, backend.DefaultBlobURL).
func (f *ServeFlags) Register(fs *flag.FlagSet, d ServeDefaults) {
	queueHelp := "queue backend URL (file://… or sb://…)"
	if d.Queues != "" {
		queueHelp += "; " + d.Queues
	}
	fs.StringVar(&f.Listen, "listen", d.Listen, d.ListenHelp)
	fs.StringVar(&f.Queue, "queue", backend.DefaultQueueURL(), queueHelp)
	fs.StringVar(&f.Blob, "blob", backend.DefaultBlobURL(), "blob backend URL (file://… or https://ACCOUNT.blob.core.windows.net/CONTAINER)")
	fs.StringVar(&f.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&f.Grace, "grace", d.Grace, d.GraceHelp)
}

// Serving is what Start sets up for a serve command: its logger and its
// observability (metrics registry, health, mux, tracing). Close it when
// the command ends.
type Serving struct {
	Log *slog.Logger
	*Observability
}

// Start makes the logger at --log-level (a bad level is a usage error) and
// sets up the observability of the service name at version.
func (f *ServeFlags) Start(ctx context.Context, name, version string, stderr io.Writer) (*Serving, error) {
	log, err := NewLogger(stderr, f.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	obs, err := Observe(ctx, name, version)
	if err != nil {
		return nil, err
	}
	return &Serving{Log: log, Observability: obs}, nil
}

// Parse parses args (flags and positional arguments in any order, see
// ParseArgs), then fills every flag not given on the command line from its
// DUMPFLOW_<NAME> variable in env (see FillFromEnv), and returns the
// positional arguments. Every error but --help wraps ErrUsage.
func Parse(fs *flag.FlagSet, args []string, env func(string) string) ([]string, error) {
	pos, err := ParseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if err := FillFromEnv(fs, env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return pos, nil
}

// ParseNoArgs is Parse for a command that takes no positional argument:
// one is a usage error naming it.
func ParseNoArgs(fs *flag.FlagSet, args []string, env func(string) string) error {
	pos, err := Parse(fs, args, env)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, pos[0])
	}
	return nil
}
