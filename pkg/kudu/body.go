package kudu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// body wraps a response body: it arms an idle timer around each Read,
// turns a short body into ErrTruncated, and cancels the request's context
// on Close.
type body struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	rc     io.ReadCloser
	want   int64 // Content-Length, -1 unknown
	n      int64
	idle   time.Duration
	idleT  *time.Timer
	reqT   *time.Timer // whole-request timer of a small request, stopped on Close
	op     string
	once   sync.Once
}

func newBody(ctx context.Context, cancel context.CancelCauseFunc, rc io.ReadCloser, want int64, idle time.Duration, reqT *time.Timer, op string) *body {
	b := &body{ctx: ctx, cancel: cancel, rc: rc, want: want, idle: idle, reqT: reqT, op: op}
	if idle > 0 {
		b.idleT = time.AfterFunc(idle, func() { cancel(errIdleTimer) })
		b.idleT.Stop()
	}
	return b
}

func (b *body) Read(p []byte) (int, error) {
	if b.idleT != nil {
		b.idleT.Reset(b.idle)
	}
	n, err := b.rc.Read(p)
	if b.idleT != nil {
		b.idleT.Stop()
	}
	b.n += int64(n)
	if err == nil {
		return n, nil
	}
	if err == io.EOF {
		if b.want >= 0 && b.n < b.want {
			return n, fmt.Errorf("kudu: %s: %w: got %d of %d bytes", b.op, ErrTruncated, b.n, b.want)
		}
		return n, io.EOF
	}
	cause := context.Cause(b.ctx)
	switch {
	case errors.Is(cause, errIdleTimer):
		return n, fmt.Errorf("kudu: %s: %w (%s) after %d bytes", b.op, ErrIdleTimeout, b.idle, b.n)
	case errors.Is(cause, errRequestTimer):
		return n, fmt.Errorf("kudu: %s: %w after %d bytes", b.op, ErrRequestTimeout, b.n)
	case cause != nil:
		// The caller's context ended: report that, not a truncation.
		return n, fmt.Errorf("kudu: %s: reading body after %d bytes: %w", b.op, b.n, cause)
	case b.want >= 0 && b.n < b.want, errors.Is(err, io.ErrUnexpectedEOF):
		return n, fmt.Errorf("kudu: %s: %w: got %d of %d bytes: %w", b.op, ErrTruncated, b.n, b.want, err)
	}
	return n, fmt.Errorf("kudu: %s: reading body after %d bytes: %w", b.op, b.n, err)
}

// Close releases the connection and the request's context. It is safe to
// call more than once.
func (b *body) Close() error {
	var err error
	b.once.Do(func() {
		if b.idleT != nil {
			b.idleT.Stop()
		}
		if b.reqT != nil {
			b.reqT.Stop()
		}
		err = b.rc.Close()
		b.cancel(nil)
	})
	return err
}
