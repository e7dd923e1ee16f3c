package symbols

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// location is one entry of a search path. load returns an error wrapping ErrNotFound
// when the location does not have the module's symbols.
type location interface {
	load(ctx context.Context, k moduleKey) (*SymbolFile, error)
	String() string // for messages; never shows credentials
}

// parseSearchPath turns a search path into locations (docs/symbols.md):
//
//	DIR                     local store: Breakpad layout, and Microsoft layout for PDBs
//	http(s)://HOST/PATH     Breakpad-layout symbol server (Mozilla, Sentry style)
//	srv*URL | srv*DIR       Microsoft symbol server, downloads into the current cache
//	srv*CACHE*…*URL         the same with explicit caches (the first receives downloads)
//	cache*DIR               download cache for the entries after it
//
// Entries are separated by ';' (as in _NT_SYMBOL_PATH) or ','.
func parseSearchPath(spec string, defaultCache string, f *fetcher, getenv func(string) string) ([]location, error) {
	var locs []location
	cache := defaultCache
	for raw := range strings.FieldsFuncSeq(spec, func(r rune) bool { return r == ';' || r == ',' }) {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		lower := strings.ToLower(e)
		switch {
		case strings.HasPrefix(lower, "cache*"):
			cache = defaultCache
			if d := e[len("cache*"):]; d != "" {
				cache = d
			}
		case strings.HasPrefix(lower, "srv*"):
			parts := strings.Split(e[len("srv*"):], "*")
			src := parts[len(parts)-1]
			if src == "" {
				return nil, fmt.Errorf("symbols: search path entry %q has no server after srv*; want srv*CACHE*https://server/path", redactEntry(e))
			}
			loc := &msServer{fetch: f}
			for i, c := range parts[:len(parts)-1] {
				if c == "" { // srv**URL: the default downstream store
					c = cache
				}
				if i == 0 {
					loc.cache = c
				}
				loc.dirs = append(loc.dirs, c)
			}
			if loc.cache == "" {
				loc.cache = cache
			}
			if isURL(src) {
				r, err := newRemote(expandUserinfo(src, getenv))
				if err != nil {
					return nil, err
				}
				loc.remote = r
				if loc.cache == "" {
					return nil, fmt.Errorf("symbols: no cache directory for %s: set Options.CacheDir or write srv*CACHE*URL", r)
				}
			} else {
				if err := checkDir(src); err != nil {
					return nil, err
				}
				loc.dirs = append(loc.dirs, src)
			}
			locs = append(locs, loc)
		case strings.HasPrefix(lower, "symsrv*"):
			return nil, fmt.Errorf("symbols: search path entry %q: symsrv*DLL*… entries are not supported; write srv*CACHE*URL", redactEntry(e))
		case isURL(e):
			r, err := newRemote(expandUserinfo(e, getenv))
			if err != nil {
				return nil, err
			}
			if cache == "" {
				return nil, fmt.Errorf("symbols: no cache directory for %s: set Options.CacheDir or put cache*DIR before it", r)
			}
			locs = append(locs, &httpStore{remote: r, cache: cache, fetch: f})
		default:
			if err := checkDir(e); err != nil {
				return nil, err
			}
			locs = append(locs, &localStore{dir: e})
		}
	}
	if len(locs) == 0 {
		return nil, fmt.Errorf("symbols: search path %q names no symbol location; want DIR, https://server/path or srv*CACHE*https://server/path", redactEntry(spec))
	}
	return locs, nil
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

func checkDir(d string) error {
	st, err := os.Stat(d)
	if err != nil {
		return fmt.Errorf("symbols: symbol directory %s: %w (fix the search path or create it)", d, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("symbols: symbol location %s is a file, not a directory", d)
	}
	return nil
}

// remote is a configured server: its base URL without credentials and the
// Authorization header value that may be sent to its host (and only to it).
type remote struct {
	base *url.URL
	auth string
}

func (r *remote) String() string { return r.base.String() }

// newRemote parses a server URL. Credentials come from its userinfo: user:password is
// HTTP Basic, a lone user name is a bearer token (https://TOKEN@host/path). They are
// refused over plain http.
func newRemote(s string) (*remote, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("symbols: symbol server URL %q: %w", redactEntry(s), err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("symbols: symbol server URL %s: want http(s)://host/path", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("symbols: symbol server URL %s: a query or fragment is not supported", u.Redacted())
	}
	r := &remote{}
	if u.User != nil {
		if u.Scheme != "https" {
			return nil, fmt.Errorf("symbols: symbol server URL %s carries credentials over plain http; use https", u.Redacted())
		}
		if pw, ok := u.User.Password(); ok {
			r.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))
		} else if tok := u.User.Username(); tok != "" {
			r.auth = "Bearer " + tok
		}
		u.User = nil
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	r.base = u
	return r, nil
}

// file returns the URL of rel (already escaped path segments) under the server.
func (r *remote) file(segs ...string) string {
	u := *r.base
	esc := make([]string, len(segs))
	for i, s := range segs {
		esc[i] = url.PathEscape(s)
	}
	u.Path = r.base.Path + "/" + strings.Join(segs, "/")
	u.RawPath = r.base.EscapedPath() + "/" + strings.Join(esc, "/")
	return u.String()
}

// expandUserinfo expands environment references in the userinfo of URL s only.
func expandUserinfo(s string, getenv func(string) string) string {
	if getenv == nil {
		return s
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	at := strings.LastIndexByte(rest[:strings.IndexAny(rest+"/", "/")], '@')
	if at < 0 {
		return s
	}
	// Escape what the variable holds so it stays userinfo (a token may contain '/').
	user := os.Expand(rest[:at], func(name string) string {
		return escapeAll(getenv(name))
	})
	return s[:i+3] + user + rest[at:]
}

// escapeAll percent-encodes every byte but the unreserved ones (RFC 3986), so a secret
// holding ':', '@' or '/' stays one userinfo part.
func escapeAll(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

var userinfoRE = regexp.MustCompile(`(?i)(https?://)[^/@;,*]*@`)

// redactEntry hides userinfo in search path text quoted in a message.
func redactEntry(s string) string { return userinfoRE.ReplaceAllString(s, "${1}xxxxx@") }

// localPath joins segments from a validated moduleKey under dir.
func localPath(dir string, segs ...string) string {
	return filepath.Join(append([]string{dir}, segs...)...)
}
