package symbols

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// store searches its locations in order and keeps loaded tables in memory.
type store struct {
	locs []location
	mem  *tableCache
	log  *slog.Logger
}

// Open parses a search path (docs/symbols.md): entries separated by ';' (as in
// _NT_SYMBOL_PATH) or ',', each
//
//   - a local directory: a Breakpad store (<debug file>/<debug id>/<name>.sym, name being
//     the debug file without ".pdb") that may also hold PDBs in Microsoft's layout;
//   - http(s)://host/path: a symbol server in Breakpad's layout (Mozilla, Sentry style);
//     credentials may be given as https://user:password@host/path (Basic) or
//     https://token@host/path (Bearer) and are sent only to that host;
//   - srv*CACHE*URL, srv*URL, srv*DIR: a Microsoft symbol server holding PDBs at
//     <pdb>/<GUID+age>/<pdb>, read with pkg/pdb;
//   - cache*DIR: where the entries after it download to.
//
// Downloads land in the cache once; Open checks that local directories exist and that
// URLs are well formed, but contacts no server. The Store is safe for concurrent use.
func Open(spec string, opts Options) (Store, error) {
	if opts.MaxDownload < 0 || opts.Timeout < 0 || opts.MaxMemory < 0 || opts.NegativeTTL < 0 {
		return nil, errors.New("symbols: negative limit in Options")
	}
	opts.MaxDownload = cmp.Or(opts.MaxDownload, DefaultMaxDownload)
	opts.Timeout = cmp.Or(opts.Timeout, DefaultTimeout)
	opts.MaxMemory = cmp.Or(opts.MaxMemory, DefaultMaxMemory)
	opts.NegativeTTL = cmp.Or(opts.NegativeTTL, DefaultNegativeTTL)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			opts.CacheDir = filepath.Join(d, "dumpflow", "symbols")
		}
	}
	f := newFetcher(opts)
	locs, err := parseSearchPath(spec, opts.CacheDir, f, opts.Getenv)
	if err != nil {
		return nil, err
	}
	return &store{locs: locs, mem: newTableCache(opts.MaxMemory, opts.NegativeTTL), log: opts.Logger}, nil
}

// Load returns the module's symbols from the first location that has them. When none
// has them the error wraps ErrNotFound and names every location searched; when a
// location failed otherwise (server error, timeout, a malformed file), the error says
// so and does not wrap ErrNotFound, so the caller can tell "no symbols" from "could not
// tell". Results, including "not found", are kept in memory (Options.MaxMemory,
// Options.NegativeTTL).
func (s *store) Load(ctx context.Context, m Module) (Table, error) {
	k, err := keyOf(m)
	if err != nil {
		return nil, err
	}
	sf, err := s.mem.get(ctx, k.String(), func(ctx context.Context) (*SymbolFile, error) {
		return s.search(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return sf, nil
}

func (s *store) search(ctx context.Context, k moduleKey) (*SymbolFile, error) {
	var failed []error
	var tried []string
	for _, l := range s.locs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sf, err := l.load(ctx, k)
		if err == nil {
			if sf.Stats.Skipped > 0 {
				s.log.Warn("symbols: malformed records skipped", "module", k.String(), "location", l.String(),
					"skipped", sf.Stats.Skipped, "first_line", sf.Stats.FirstSkipped, "first_reason", sf.Stats.FirstSkippedReason)
			}
			return sf, nil
		}
		if errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCompressedOnly) {
			tried = append(tried, l.String())
			continue
		}
		s.log.Warn("symbols: location failed", "module", k.String(), "location", l.String(), "err", err)
		failed = append(failed, err)
	}
	if len(failed) == 0 {
		return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, k, strings.Join(tried, ", "))
	}
	return nil, &LoadError{Module: k.String(), Errs: failed}
}

// LoadError is returned by Store.Load when some location failed for a reason other than
// not having the file. It unwraps to those errors.
type LoadError struct {
	Module string
	Errs   []error
}

func (e *LoadError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("symbols: %s: %s", e.Module, strings.Join(msgs, "; "))
}

// Unwrap returns the locations' errors.
func (e *LoadError) Unwrap() []error { return e.Errs }
