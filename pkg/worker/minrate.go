package worker

import (
	"cmp"
	"fmt"
	"io"
	"time"
)

// MinRate is a floor on a dump body's throughput: at least Bytes in every
// Window, counted from the first byte (Kudu writes the whole dump before a
// direct body starts, so the wait for the first byte is not counted; the
// front end's own first-byte limit bounds it). A body slower than that
// fails with a *SlowBodyError instead of trickling on forever just under
// the client's idle timeout (issue 22).
type MinRate struct {
	Bytes  int64         // default DefaultMinBodyBytes
	Window time.Duration // default DefaultMinBodyWindow
}

func (m MinRate) withDefaults() MinRate {
	m.Bytes = cmp.Or(max(m.Bytes, 0), DefaultMinBodyBytes)
	m.Window = cmp.Or(max(m.Window, 0), DefaultMinBodyWindow)
	return m
}

// SlowBodyError is a dump body below its MinRate.
type SlowBodyError struct {
	Got  int64
	Rate MinRate
}

func (e *SlowBodyError) Error() string {
	return fmt.Sprintf("dump body too slow: %d bytes in %s, below the floor of %d bytes per %s (worker --min-body-bytes, --min-body-window); Kudu or the front end is stalling, not retried",
		e.Got, e.Rate.Window, e.Rate.Bytes, e.Rate.Window)
}

// minRateReader enforces a MinRate on r with the clock now. The error is
// a permanent *KuduError: a retry would ask Kudu for another dump, another
// freeze of the process, through the same stalling path.
type minRateReader struct {
	r     io.Reader
	rate  MinRate
	now   func() time.Time
	start time.Time
	n     int64
}

func (e *Engine) minRate(r io.Reader) io.Reader {
	return &minRateReader{r: r, rate: e.cfg.MinBodyRate, now: e.cfg.Now}
}

func (m *minRateReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n == 0 {
		return n, err
	}
	now := m.now()
	if m.start.IsZero() {
		m.start = now
	}
	m.n += int64(n)
	if now.Sub(m.start) >= m.rate.Window {
		if m.n < m.rate.Bytes {
			return n, &KuduError{Kind: ErrorKindPermanent, Err: &SlowBodyError{Got: m.n, Rate: m.rate}}
		}
		m.start, m.n = now, 0
	}
	return n, err
}
