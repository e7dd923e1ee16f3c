package sqlitequeue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Defaults for the zero values of Options, matching Service Bus defaults
// where Service Bus has one.
const (
	DefaultLockDuration  = queue.DefaultLockDuration
	DefaultMaxDeliveries = queue.DefaultMaxDeliveries
	DefaultDedupeWindow  = queue.DefaultDedupeWindow
	DefaultPollInterval  = 250 * time.Millisecond
	DefaultBusyTimeout   = 30 * time.Second
)

// ErrBusy is returned when the queue file stayed locked by other processes
// (SQLite's SQLITE_BUSY) for longer than Options.BusyTimeout.
var ErrBusy = errors.New("sqlitequeue: queue file busy")

// Options configure a Queue. The zero value of each field means its
// default. Every process that opens the same queue should use the same
// options: they are not stored in the file, and each operation applies the
// options of the process that performs it.
type Options struct {
	// LockDuration is how long a received message stays locked before it
	// is redelivered. Zero means DefaultLockDuration.
	LockDuration time.Duration
	// MaxDeliveries is how many times a message is delivered before it is
	// dead-lettered with queue.ReasonMaxDeliveries. Zero means
	// DefaultMaxDeliveries.
	MaxDeliveries int
	// DedupeWindow is how long a message ID is remembered for duplicate
	// detection. Zero means DefaultDedupeWindow; negative disables
	// duplicate detection.
	DedupeWindow time.Duration
	// PollInterval bounds how long a waiting Receive takes to notice a
	// message sent by another process. Sends by this process wake it at
	// once. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// BusyTimeout bounds how long one operation waits for SQLite's write
	// lock held by another process before failing with ErrBusy (it is
	// SQLite's busy_timeout). Zero means DefaultBusyTimeout. Queues of one
	// process on the same file share one connection, which keeps the busy
	// timeout of the first of them to open the file.
	BusyTimeout time.Duration
}

// withDefaults returns o with zero fields replaced by defaults, or an error
// naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	o.LockDuration = cmp.Or(o.LockDuration, DefaultLockDuration)
	o.MaxDeliveries = cmp.Or(o.MaxDeliveries, DefaultMaxDeliveries)
	o.DedupeWindow = cmp.Or(o.DedupeWindow, DefaultDedupeWindow)
	o.PollInterval = cmp.Or(o.PollInterval, DefaultPollInterval)
	o.BusyTimeout = cmp.Or(o.BusyTimeout, DefaultBusyTimeout)
	switch {
	case o.LockDuration < time.Millisecond:
		return o, fmt.Errorf("sqlitequeue: lock duration %v must be at least 1ms", o.LockDuration)
	case o.MaxDeliveries < 1:
		return o, fmt.Errorf("sqlitequeue: max deliveries %d must be at least 1", o.MaxDeliveries)
	case o.PollInterval < time.Millisecond:
		return o, fmt.Errorf("sqlitequeue: poll interval %v must be at least 1ms", o.PollInterval)
	case o.BusyTimeout < time.Millisecond:
		return o, fmt.Errorf("sqlitequeue: busy timeout %v must be at least 1ms", o.BusyTimeout)
	}
	return o, nil
}

// OpenURL opens the queue name (the file DIR/NAME.sqlite) in the directory
// DIR = u.Path, for URLs of the form
//
//	file:///var/lib/dumpflow/queue?lock=60s&max_deliveries=10&dedupe_window=10m
//
// Query options (all optional; durations in time.ParseDuration form):
//
//	lock            Options.LockDuration   (default 60s)
//	max_deliveries  Options.MaxDeliveries  (default 10)
//	dedupe_window   Options.DedupeWindow   (default 10m; "0s" or negative disables)
//	poll            Options.PollInterval   (default 250ms)
//	busy_timeout    Options.BusyTimeout    (default 30s)
//
// An unknown option, a host other than "" or "localhost", or a relative
// path is an error. ctx is unused (opening is local and quick) and is
// accepted so that every backend's OpenURL has the same shape.
func OpenURL(ctx context.Context, u *url.URL, name string) (*Queue, error) {
	_ = ctx
	opts, err := optionsFromURL(u)
	if err != nil {
		return nil, err
	}
	return Open(u.Path, name, opts)
}

func optionsFromURL(u *url.URL) (Options, error) {
	var o Options
	if u == nil {
		return o, errors.New("sqlitequeue: nil URL")
	}
	if u.Scheme != "file" {
		return o, fmt.Errorf("sqlitequeue: URL scheme %q, want file", u.Scheme)
	}
	if u.Host != "" && u.Host != "localhost" {
		return o, fmt.Errorf("sqlitequeue: URL host %q: only local paths are supported", u.Host)
	}
	if u.Path == "" || u.Path[0] != '/' {
		return o, fmt.Errorf("sqlitequeue: URL %q needs an absolute path (file:///dir)", u.Redacted())
	}
	for key, vals := range u.Query() {
		if len(vals) != 1 {
			return o, fmt.Errorf("sqlitequeue: URL option %q given %d times", key, len(vals))
		}
		v := vals[0]
		var err error
		switch key {
		case "lock":
			o.LockDuration, err = parsePositiveDuration(v)
		case "max_deliveries":
			o.MaxDeliveries, err = strconv.Atoi(v)
			if err == nil && o.MaxDeliveries < 1 {
				err = errors.New("must be at least 1")
			}
		case "dedupe_window":
			o.DedupeWindow, err = time.ParseDuration(v)
			if err == nil && o.DedupeWindow == 0 {
				o.DedupeWindow = -1 // explicit zero disables detection
			}
		case "poll":
			o.PollInterval, err = parsePositiveDuration(v)
		case "busy_timeout":
			o.BusyTimeout, err = parsePositiveDuration(v)
		default:
			return o, fmt.Errorf("sqlitequeue: unknown URL option %q (known: lock, max_deliveries, dedupe_window, poll, busy_timeout)", key)
		}
		if err != nil {
			return o, fmt.Errorf("sqlitequeue: URL option %s=%q: %w", key, v, err)
		}
	}
	return o, nil
}

func parsePositiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}
