package symbols

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/pdb"
)

// symServer serves files from a map of paths and counts requests per path.
type symServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]string
	hits  map[string]int
	auth  []string // Authorization headers seen
}

func newSymServer(t *testing.T, files map[string]string) *symServer {
	s := &symServer{files: files, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		body, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *symServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func TestHTTPStoreDownloadsOnce(t *testing.T) {
	path := "/syms/tiny.pdb/" + tiny.DebugID + "/tiny.sym"
	srv := newSymServer(t, map[string]string{path: tinySym})
	cache := t.TempDir()
	s, err := Open(srv.URL+"/syms", Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			tab, err := s.Load(ctx, tiny)
			if err == nil {
				if fn, _ := tab.Function(0x1004); fn.Name != "tiny_func" || fn.File != "tiny.c" || fn.Line != 7 {
					err = fmt.Errorf("lookup %+v", fn)
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.count(path); n != 1 {
		t.Errorf("%d requests for concurrent loads, want 1", n)
	}
	// The cache has the server's layout, so it is a valid local store.
	if b, err := os.ReadFile(filepath.Join(cache, "tiny.pdb", tiny.DebugID, "tiny.sym")); err != nil || string(b) != tinySym {
		t.Errorf("cache file: %q, %v", b, err)
	}
	assertNoTemp(t, cache)
	// A new store over the same cache does not ask the server again.
	s2, _ := Open(srv.URL+"/syms", Options{CacheDir: cache})
	if _, err := s2.Load(ctx, tiny); err != nil {
		t.Fatal(err)
	}
	if n := srv.count(path); n != 1 {
		t.Errorf("%d requests after a restart over a warm cache, want 1", n)
	}
}

func TestHTTPStoreNotFoundIsRemembered(t *testing.T) {
	srv := newSymServer(t, map[string]string{})
	s, err := Open(srv.URL, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.Load(context.Background(), tiny); !errors.Is(err, ErrNotFound) {
			t.Fatalf("want ErrNotFound, got %v", err)
		}
	}
	if n := srv.count("/tiny.pdb/" + tiny.DebugID + "/tiny.sym"); n != 1 {
		t.Errorf("%d requests, want 1 (negative result cached)", n)
	}
}

func TestHTTPStoreServerErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "<html>not a symbol file</html>")
	}))
	defer srv.Close()
	cache := t.TempDir()
	s, _ := Open(srv.URL, Options{CacheDir: cache})
	_, err := s.Load(context.Background(), tiny)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 500 || errors.Is(err, ErrNotFound) {
		t.Fatalf("500: %v", err)
	}
	// Not remembered: the next Load asks again, and gets an HTML page with 200.
	_, err = s.Load(context.Background(), tiny)
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("HTML answer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "tiny.pdb", tiny.DebugID, "tiny.sym")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad download left in the cache: %v", err)
	}
}

func TestHTTPStoreLimits(t *testing.T) {
	big := tinySym + strings.Repeat("PUBLIC 2000 0 padding\n", 100)
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				}
				fmt.Fprint(w, big)
				if chunked {
					w.(http.Flusher).Flush()
				}
			}))
			defer srv.Close()
			cache := t.TempDir()
			s, _ := Open(srv.URL, Options{CacheDir: cache, MaxDownload: int64(len(big) - 1)})
			if _, err := s.Load(context.Background(), tiny); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("want ErrTooLarge, got %v", err)
			}
			assertNoTemp(t, cache)
			if _, err := os.Stat(filepath.Join(cache, "tiny.pdb", tiny.DebugID, "tiny.sym")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("oversized file in the cache: %v", err)
			}
			// Exactly at the limit is fine.
			s, _ = Open(srv.URL, Options{CacheDir: cache, MaxDownload: int64(len(big))})
			if _, err := s.Load(context.Background(), tiny); err != nil {
				t.Errorf("at the limit: %v", err)
			}
		})
	}
}

func TestHTTPStoreTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprint(w, "MODULE ")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finishes the body
	}))
	defer srv.Close()
	s, _ := Open(srv.URL, Options{CacheDir: t.TempDir(), Timeout: 50 * time.Millisecond})
	_, err := s.Load(context.Background(), tiny)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
}

// Credentials go to the configured host only: a redirect to another server (another
// port is another host) loses the Authorization header; one on the same server keeps it.
func TestCredentialsStayOnConfiguredHost(t *testing.T) {
	path := "/tiny.pdb/" + tiny.DebugID + "/tiny.sym"
	other := newSymServer(t, map[string]string{path: tinySym})
	var mu sync.Mutex
	var seen []string
	home := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case path:
			http.Redirect(w, r, "/moved"+path, http.StatusFound)
		case "/moved" + path:
			http.Redirect(w, r, other.URL+path, http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer home.Close()
	for _, c := range []struct{ userinfo, want string }{
		{"s3cr3t-token@", "Bearer s3cr3t-token"},
		{"user:pa%3Ass@", "Basic dXNlcjpwYTpzcw=="},
	} {
		seen = nil
		other.auth = nil
		spec := strings.Replace(home.URL, "https://", "https://"+c.userinfo, 1)
		s, err := Open(spec, Options{CacheDir: t.TempDir(), HTTPClient: home.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(context.Background(), tiny); err != nil {
			t.Fatal(err)
		}
		want := []string{path + " " + c.want, "/moved" + path + " " + c.want}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("configured host saw %q, want %q", seen, want)
		}
		if fmt.Sprint(other.auth) != "[]" {
			t.Errorf("other host received credentials: %q", other.auth)
		}
	}
	// Secrets from the environment, expanded in the userinfo only and kept whole.
	env := map[string]string{"SYM_USER": "ci", "SYM_PASS": "p@ss:w/rd"}
	seen, other.auth = nil, nil
	spec := strings.Replace(home.URL, "https://", "https://${SYM_USER}:$SYM_PASS@", 1)
	s, err := Open(spec, Options{CacheDir: t.TempDir(), HTTPClient: home.Client(), Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(context.Background(), tiny); err != nil {
		t.Fatal(err)
	}
	if want := path + " Basic Y2k6cEBzczp3L3Jk"; len(seen) == 0 || seen[0] != want || fmt.Sprint(other.auth) != "[]" {
		t.Errorf("env credentials: home saw %q (want %q first), other saw %q", seen, want, other.auth)
	}
	if _, err := Open("http://user:pw@example.com/syms", Options{CacheDir: t.TempDir()}); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("credentials over http: %v", err)
	}
}

func TestMicrosoftSymbolServer(t *testing.T) {
	dir := filepath.Join(filepath.Dir(sharedSymbols), "pdb")
	needShared(t, "../pdb/test-pdb.exe")
	exe, err := os.Open(filepath.Join(dir, "test-pdb.exe"))
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	cv, err := pdb.ReadCodeView(exe)
	if err != nil {
		t.Fatal(err)
	}
	pdbBytes, err := os.ReadFile(filepath.Join(dir, "test-pdb.pdb"))
	if err != nil {
		t.Fatal(err)
	}
	m := Module{CodeFile: "test-pdb.exe", DebugFile: cv.PDBName, DebugID: cv.DebugID()}
	name := filepath.Base(strings.ReplaceAll(cv.PDBName, `\`, "/"))
	path := "/download/symbols/" + name + "/" + cv.DebugID() + "/" + name
	srv := newSymServer(t, map[string]string{path: string(pdbBytes)})
	cache := t.TempDir()
	spec := "cache*" + t.TempDir() + ";srv*" + cache + "*" + srv.URL + "/download/symbols"
	s, err := Open(spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Load(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	// llvm-pdbutil: S_GPROC32 `main` addr = 0001:0080, code size = 35; .text at 0x1000.
	for _, rva := range []uint64{0x1050, 0x1072} {
		if fn, ok := tab.Function(rva); !ok || fn.Name != "main" || fn.Entry != 0x1050 || fn.Public {
			t.Errorf("Function(%#x) = %+v, %v", rva, fn, ok)
		}
	}
	if _, ok := tab.CFI(0x1050); ok {
		t.Error("a PDB table has no CFI")
	}
	if _, err := os.Stat(filepath.Join(cache, name, cv.DebugID(), name)); err != nil {
		t.Errorf("not cached in the srv* cache: %v", err)
	}
	if n := srv.count(path); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestMicrosoftCompressedOnly(t *testing.T) {
	id := "C16A11CA886C4AE8AF7698A42C39DADD1"
	srv := newSymServer(t, map[string]string{"/app.pdb/" + id + "/app.pd_": "MSCF..."})
	s, err := Open("srv*"+t.TempDir()+"*"+srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(context.Background(), Module{DebugFile: "app.pdb", DebugID: id})
	if !errors.Is(err, ErrCompressedOnly) || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), ".pd_") {
		t.Fatalf("want a compressed-only error, got %v", err)
	}
}

// A Load cancelled mid-download is not remembered: the next Load fetches the file.
func TestCancelledLoadIsNotRemembered(t *testing.T) {
	arrived := make(chan struct{}, 1)
	var blocking atomic.Bool
	blocking.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if blocking.Load() {
			arrived <- struct{}{}
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, tinySym)
	}))
	defer srv.Close()
	cache := t.TempDir()
	s, _ := Open(srv.URL, Options{CacheDir: cache})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Load(ctx, tiny)
		done <- err
	}()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Load: %v", err)
	}
	assertNoTemp(t, cache)
	blocking.Store(false)
	if _, err := s.Load(context.Background(), tiny); err != nil {
		t.Fatalf("Load after a cancelled one: %v", err)
	}
}
