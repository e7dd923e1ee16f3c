package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// symbolOpts are the --symbols flags shared by analyze and serve.
type symbolOpts struct {
	path, cache *string
	logger      *slog.Logger
}

// symbolFlags registers --symbols and --symbols-cache; cacheDefault ""
// means the user cache directory (symbols.Options).
func symbolFlags(fs *flag.FlagSet, cacheDefault string) *symbolOpts {
	return &symbolOpts{
		path: fs.String("symbols", "", "symbol search path: comma-separated Breakpad store directories, http(s) Breakpad symbol servers, "+
			"srv*CACHE*URL Microsoft symbol servers (docs/symbols.md); empty: no symbols"),
		cache: fs.String("symbols-cache", cacheDefault, "where downloaded symbol files are kept (empty: the user cache directory)"),
	}
}

// open returns the store, or nil without --symbols.
func (o *symbolOpts) open() (symbols.Store, error) {
	if *o.path == "" {
		return nil, nil
	}
	// Only $NAME written in a server URL's credentials is expanded, so a
	// secret need not be on the command line.
	s, err := symbols.Open(*o.path, symbols.Options{CacheDir: *o.cache, Logger: o.logger, Getenv: os.Getenv})
	if err != nil {
		return nil, fmt.Errorf("%w: --symbols %q: %w", errUsage, *o.path, err)
	}
	return s, nil
}
