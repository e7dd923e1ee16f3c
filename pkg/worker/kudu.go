package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Instance is one instance (worker VM) of a site, as ARM lists it.
type Instance struct {
	// ID is the full instance id (the ARRAffinity cookie value).
	ID string
	// State is ARM's state (READY, STOPPED, UNKNOWN), empty when unknown.
	State string
}

// Process is what the engine knows about one process on one instance. The
// short list fills PID, Name and MachineName; Detailed is true when the
// other fields come from the process detail call.
type Process struct {
	PID         int
	Name        string
	MachineName string

	Detailed bool
	// IsSCM is true for the Kudu (SCM site) w3wp.
	IsSCM bool
	// IsWebJob is true for a webjob's process.
	IsWebJob bool
	// PrivateMemory in bytes; -1 when Kudu could not read it.
	PrivateMemory int64
	// StartTime is zero when unknown.
	StartTime time.Time
	// ParentPID is 0 when unknown.
	ParentPID int
	// ChildPIDs are the direct children.
	ChildPIDs []int
}

// DumpRequest names one dump to take.
type DumpRequest struct {
	Site     messages.Site
	Instance string
	PID      int
	// Process is the process name, for logs and errors.
	Process string
	// DumpType is messages.DumpMini or messages.DumpFull.
	DumpType string
	// Strategy is messages.StrategyDirect or messages.StrategyStaged.
	Strategy string
}

// Kudu is what the engine needs from the Kudu API. Every method addresses
// one instance of one site and must fail with ErrorKindWrongInstance when the
// request landed on another instance. Errors should be *KuduError so that the
// engine can tell transient from permanent failures; any other error is
// treated as transient (bounded by the retry policy). Implementations are
// safe for concurrent use.
type Kudu interface {
	// Instances lists the site's instances.
	Instances(ctx context.Context, site messages.Site) ([]Instance, error)
	// Processes lists the processes on one instance (short form; IsSCM
	// may be set when the SCM process is already known).
	Processes(ctx context.Context, site messages.Site, instance string) ([]Process, error)
	// Process returns one process in detail; ErrorKindNotFound when the pid
	// is not running.
	Process(ctx context.Context, site messages.Site, instance string, pid int) (Process, error)
	// Dump starts a dump and returns its body and its length in bytes, or
	// -1 when unknown. The caller closes the body. Errors while reading the
	// body are classified like the others.
	Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error)
	// Kill kills the process and its children; ErrorKindNotFound when the
	// pid was already gone.
	Kill(ctx context.Context, site messages.Site, instance string, pid int) error
}

// ErrorKind classifies a Kudu failure for the retry loop and for reasons.
type ErrorKind int

// Error kinds.
const (
	// ErrorKindTransient is worth retrying (5xx, 429, resets, timeouts,
	// a body cut short).
	ErrorKindTransient ErrorKind = iota
	// ErrorKindPermanent is not worth retrying (400, bad JSON, refused host).
	ErrorKindPermanent
	// ErrorKindAuth is a 401 or 403: credentials or RBAC, not retried.
	ErrorKindAuth
	// ErrorKindNotFound is a 404: the process (or route) is gone.
	ErrorKindNotFound
	// ErrorKindWrongInstance means the front end routed the request to
	// another instance: the instance no longer exists (scale-in).
	ErrorKindWrongInstance
	// ErrorKindFirstByteLimit means a direct dump was cut off by the front
	// end's first-byte limit (~230 s) before Kudu sent anything.
	ErrorKindFirstByteLimit
)

var kindNames = map[ErrorKind]string{
	ErrorKindTransient:      "transient",
	ErrorKindPermanent:      "permanent",
	ErrorKindAuth:           "auth",
	ErrorKindNotFound:       "not_found",
	ErrorKindWrongInstance:  "wrong_instance",
	ErrorKindFirstByteLimit: "first_byte_limit",
}

func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// KuduError is a classified Kudu failure.
type KuduError struct {
	Kind ErrorKind
	// StatusCode is the HTTP status, 0 when there was no response.
	StatusCode int
	// RetryAfter is the server's Retry-After, 0 when absent.
	RetryAfter time.Duration
	Err        error
}

func (e *KuduError) Error() string {
	if e.Err == nil {
		return "kudu: " + e.Kind.String()
	}
	return e.Err.Error()
}

func (e *KuduError) Unwrap() error { return e.Err }

// kindOf classifies err; errors that are not *KuduError are transient,
// except context cancellation, which is permanent for the retry loop.
func kindOf(err error) ErrorKind {
	var ke *KuduError
	if errors.As(err, &ke) {
		return ke.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ErrorKindPermanent
	}
	return ErrorKindTransient
}

// retryAfterOf returns the server's Retry-After carried by err, or 0.
func retryAfterOf(err error) time.Duration {
	var ke *KuduError
	if errors.As(err, &ke) {
		return ke.RetryAfter
	}
	return 0
}
