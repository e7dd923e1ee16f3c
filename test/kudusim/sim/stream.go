package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// errReset reports that the body was cut by an injected connection reset.
var errReset = errors.New("kudusim: connection reset injected")

// bodyWriter writes a response body under the front end's faults: a
// throughput cap and an injected reset at a chosen byte. It is used by
// one handler goroutine.
type bodyWriter struct {
	ctx     context.Context
	w       http.ResponseWriter
	rate    int64 // bytes per second, 0 = unlimited
	cutAt   int64 // reset once this many bytes are written; -1 = never
	sent    int64
	start   time.Time
	hijackd bool
}

// newBodyWriter decides up front whether (and where in the first
// expected bytes) this body will be cut.
func (s *Server) newBodyWriter(w http.ResponseWriter, r *http.Request, expected int64) *bodyWriter {
	bw := &bodyWriter{ctx: r.Context(), w: w, rate: s.cfg.Faults.Throughput, cutAt: -1, start: time.Now()}
	if expected > 0 && s.roll(s.cfg.Faults.ResetRate) {
		s.fmu.Lock()
		bw.cutAt = s.frng.Int64N(expected)
		s.fmu.Unlock()
	}
	return bw
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	if b.hijackd {
		return 0, errReset
	}
	if b.rate <= 0 && b.cutAt < 0 {
		// No fault to apply: one write, as large as the caller's.
		n, err := b.w.Write(p)
		b.sent += int64(n)
		return n, err
	}
	written := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > 64<<10 {
			chunk = chunk[:64<<10]
		}
		if b.cutAt >= 0 && b.sent+int64(len(chunk)) > b.cutAt {
			chunk = chunk[:b.cutAt-b.sent]
		}
		if len(chunk) > 0 {
			n, err := b.w.Write(chunk)
			b.sent += int64(n)
			written += n
			if err != nil {
				return written, err
			}
			p = p[n:]
		}
		if b.cutAt >= 0 && b.sent >= b.cutAt {
			b.reset()
			return written, errReset
		}
		if err := b.throttle(); err != nil {
			return written, err
		}
	}
	return written, nil
}

// throttle sleeps until the bytes sent so far fit the rate.
func (b *bodyWriter) throttle() error {
	if b.rate <= 0 {
		return nil
	}
	due := b.start.Add(time.Duration(float64(b.sent) / float64(b.rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-b.ctx.Done():
			return b.ctx.Err()
		}
	}
	return nil
}

// reset flushes what was written and closes the connection with a TCP
// RST (SO_LINGER 0), so the client sees a reset mid-body.
func (b *bodyWriter) reset() {
	b.hijackd = true
	rc := http.NewResponseController(b.w)
	_ = rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a wrapped writer: abort the stream instead
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func parseInt64(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) }
