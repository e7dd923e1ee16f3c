package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// newSim starts a simulator with small, instantly written dumps.
func newSim(t *testing.T, cfg sim.Config) (*sim.Server, sim.AppInfo) {
	t.Helper()
	if cfg.DumpSize == 0 {
		cfg.DumpSize = 2 << 20
	}
	if cfg.DumpWriteTime == 0 {
		cfg.DumpWriteTime = -1
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s.Info().Apps[0]
}

// kuduClient plays Kudu.Client's HttpClient: it follows redirects (the
// .NET default) unless noRedirect, and pins one instance with the
// ARRAffinity cookie as RemoteProcessManager does (useCookies: true).
type kuduClient struct {
	t          *testing.T
	hc         *http.Client
	instance   string
	noRedirect bool
}

func newClient(t *testing.T, instance string) *kuduClient {
	return &kuduClient{t: t, instance: instance, hc: &http.Client{Timeout: 60 * time.Second}}
}

// noFollow returns a client that does not follow redirects (Kudu's test
// sets AllowAutoRedirect = false for its redirect checks).
func (c *kuduClient) noFollow() *kuduClient {
	return &kuduClient{t: c.t, instance: c.instance, noRedirect: true, hc: &http.Client{Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) str() string { return string(r.body) }

// send performs one request; hdr holds header name/value pairs. A
// transport error fails the test (use try for calls expected to fail).
func (c *kuduClient) send(method, url string, body string, hdr ...string) reply {
	c.t.Helper()
	r, err := c.try(method, url, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func (c *kuduClient) try(method, url string, body string, hdr ...string) (reply, error) {
	var rd io.Reader
	if body != "" || method == http.MethodPut || method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	if c.instance != "" {
		req.AddCookie(&http.Cookie{Name: "ARRAffinity", Value: c.instance})
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{res.StatusCode, res.Header, b}, nil
}

func (c *kuduClient) get(url string, hdr ...string) reply {
	c.t.Helper()
	return c.send(http.MethodGet, url, "", hdr...)
}

func decode[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %q (status %d): %v", r.body, r.status, err)
	}
	return v
}

func wantStatus(t *testing.T, what string, r reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body %q", what, r.status, want, r.body)
	}
}
