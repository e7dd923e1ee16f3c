package symbols

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrTooLarge is wrapped when a symbol file is larger than Options.MaxDownload.
var ErrTooLarge = errors.New("symbols: download larger than the limit (Options.MaxDownload)")

// HTTPError is a symbol server's unexpected answer (anything but success or 404/410).
type HTTPError struct {
	URL        string // without credentials
	StatusCode int
}

func (e *HTTPError) Error() string {
	hint := ""
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = ": check the credentials in the search path (https://user:password@host or https://token@host)"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		hint = ": the server is busy or down; try again later"
	}
	return fmt.Sprintf("symbols: %s answered %d %s%s", e.URL, e.StatusCode, http.StatusText(e.StatusCode), hint)
}

// fetcher downloads symbol files into the cache: at most one fetch per destination at a
// time (singleflight), each bounded in size and time, written under a temporary name and
// renamed into place so a reader never sees a partial file. "Not found" answers are
// remembered for negTTL.
type fetcher struct {
	client  *http.Client
	max     int64
	timeout time.Duration
	negTTL  time.Duration
	log     *slog.Logger
	now     func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	neg   map[string]time.Time // URL -> when the "not found" answer expires
}

const maxNegative = 100000 // remembered "not found" URLs before expired ones are pruned

func newFetcher(o Options) *fetcher {
	return &fetcher{
		client:  guardRedirects(o.HTTPClient),
		max:     o.MaxDownload,
		timeout: o.Timeout,
		negTTL:  o.NegativeTTL,
		log:     o.Logger,
		now:     time.Now,
		neg:     map[string]time.Time{},
	}
}

// guardRedirects returns a copy of c (or of a plain client) whose redirects drop the
// Authorization header unless they stay on the same scheme and host (port included)
// as the request that was sent: credentials go only to the configured server. Go's own
// rule keeps them for subdomains too, which is wider than ours.
func guardRedirects(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	}
	prev := cc.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		orig := via[0].URL
		if req.URL.Scheme != orig.Scheme || !strings.EqualFold(req.URL.Host, orig.Host) {
			req.Header.Del("Authorization")
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cc
}

// get makes sure dest holds the file at segs under r, downloading it if needed. It
// returns an error wrapping ErrNotFound when the server does not have it.
func (f *fetcher) get(ctx context.Context, r *remote, segs []string, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return nil
	}
	u := r.file(segs...)
	if f.negative(u) {
		return fmt.Errorf("%w: %s (answered not found earlier)", ErrNotFound, u)
	}
	// One download per destination. The callers that join share the first one's
	// context; if it was cancelled while theirs was not, they try again themselves.
	for {
		_, err, _ := f.group.Do(dest, func() (any, error) {
			if _, err := os.Stat(dest); err == nil { // another flight finished it
				return nil, nil
			}
			dctx, cancel := context.WithTimeout(ctx, f.timeout)
			defer cancel()
			err := f.download(dctx, r, u, dest)
			if errors.Is(err, ErrNotFound) {
				f.remember(u)
			}
			return nil, err
		})
		if err != nil && errors.Is(err, context.Canceled) && ctx.Err() == nil {
			continue
		}
		return err
	}
}

func (f *fetcher) download(ctx context.Context, r *remote, u, dest string) error {
	start := f.now()
	resp, err := f.send(ctx, r, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return fmt.Errorf("%w: %s", ErrNotFound, u)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return &HTTPError{URL: u, StatusCode: resp.StatusCode}
	case resp.ContentLength > f.max:
		return fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, u, resp.ContentLength, f.max)
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("symbols: cache directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return fmt.Errorf("symbols: cache directory: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, f.max+1))
	if err == nil && n > f.max {
		err = fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, u, f.max)
	} else if err != nil {
		err = fmt.Errorf("symbols: downloading %s: %w", u, err)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return err
	}
	f.log.Info("symbols: downloaded", "url", u, "bytes", n, "took", f.now().Sub(start).Round(time.Millisecond))
	return nil
}

// exists reports whether the server answers 2xx for segs (the body is not read).
func (f *fetcher) exists(ctx context.Context, r *remote, segs []string) bool {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, err := f.send(ctx, r, r.file(segs...))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}

func (f *fetcher) send(ctx context.Context, r *remote, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("symbols: %s: %w", u, err)
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	req.Header.Set("User-Agent", "dumpflow-symbols/1")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("symbols: fetching %s: %w", u, err)
	}
	return resp, nil
}

func (f *fetcher) negative(u string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.neg[u]
	if ok && f.now().After(exp) {
		delete(f.neg, u)
		return false
	}
	return ok
}

func (f *fetcher) remember(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.neg) >= maxNegative {
		for k, exp := range f.neg {
			if now.After(exp) {
				delete(f.neg, k)
			}
		}
		if len(f.neg) >= maxNegative {
			clear(f.neg)
		}
	}
	f.neg[u] = now.Add(f.negTTL)
}
