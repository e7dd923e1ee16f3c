package service

import (
	"cmp"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// HTTPLimits bound what one client can hold of an HTTP server. The zero
// value of each field means its default; see docs/operations.md ("Limits and
// hardening").
type HTTPLimits struct {
	// ReadHeaderTimeout bounds the wait for a request's headers, on a new
	// connection too (a client that connects and sends nothing is dropped).
	// Default DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included. Bodies
	// are small (alerts, at most a few MiB): default DefaultReadTimeout.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sent no new request
	// for this long. Without it, net/http keeps idle connections forever.
	// Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers. Default DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxConns caps the connections open at once; the next ones wait in
	// the kernel's accept queue. From 3/4 of it on, keep-alive is switched
	// off and idle connections are closed, so that idle clients cannot
	// hold the slots that working clients need; it is switched back on
	// below 1/2. Default DefaultMaxConns (about 25 MB of buffers and
	// goroutines).
	MaxConns int
}

// Defaults of HTTPLimits: the zero value of each field means its constant.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxConns          = 1024
)

func (l HTTPLimits) withDefaults() HTTPLimits {
	l.ReadHeaderTimeout = cmp.Or(max(l.ReadHeaderTimeout, 0), DefaultReadHeaderTimeout)
	l.ReadTimeout = cmp.Or(max(l.ReadTimeout, 0), DefaultReadTimeout)
	l.IdleTimeout = cmp.Or(max(l.IdleTimeout, 0), DefaultIdleTimeout)
	l.MaxHeaderBytes = cmp.Or(max(l.MaxHeaderBytes, 0), DefaultMaxHeaderBytes)
	l.MaxConns = cmp.Or(max(l.MaxConns, 0), DefaultMaxConns)
	return l
}

// server returns an http.Server for handler with these limits (WriteTimeout
// stays zero: responses are small and handlers bound their own work).
func (l HTTPLimits) server(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// listener caps ln at MaxConns open connections and sheds keep-alive on
// srv between the high and low marks.
func (l HTTPLimits) listener(ln net.Listener, srv *http.Server) net.Listener {
	s := &shedder{srv: srv, high: int64(max(l.MaxConns*3/4, 1)), low: int64(l.MaxConns / 2)}
	return netutil.LimitListener(&countingListener{Listener: ln, s: s}, l.MaxConns)
}

// shedder switches srv's keep-alive off while many connections are open.
// SetKeepAlivesEnabled(false) also closes the idle ones at once, and every
// busy one after its response. It closes connections synchronously, which
// calls closed: hence atomics rather than a mutex held across the call. A
// race between the two marks at worst leaves keep-alive off until the next
// crossing of the high mark, which is safe.
type shedder struct {
	srv       *http.Server
	high, low int64
	open      atomic.Int64
	shedding  atomic.Bool
}

func (s *shedder) opened() {
	if s.open.Add(1) >= s.high && s.shedding.CompareAndSwap(false, true) {
		s.srv.SetKeepAlivesEnabled(false)
	}
}

func (s *shedder) closed() {
	if s.open.Add(-1) <= s.low && s.shedding.CompareAndSwap(true, false) {
		s.srv.SetKeepAlivesEnabled(true)
	}
}

// countingListener tells its shedder of every connection opened and closed.
type countingListener struct {
	net.Listener
	s *shedder
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.opened()
	return &countedConn{Conn: c, s: l.s}, nil
}

type countedConn struct {
	net.Conn
	s    *shedder
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.s.closed)
	return err
}
