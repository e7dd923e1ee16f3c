package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/dumpflow/dumpflow/pkg/analyzer"
	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// runAnalyze: analyzer analyze FILE|BUCKET-URL#KEY [--format F]
// or analyzer analyze --blob BUCKET-URL KEY [--format F].
func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("analyze", stderr)
	format := fs.String("format", "json", "output format: json, md or html")
	blobURL := fs.String("blob", "", "blob container URL; the argument is then a key in it")
	frames := fs.Int("frames", dumpfacts.DefaultMaxFrames, "frames walked per thread")
	syms := symbolFlags(fs, "")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: analyzer analyze FILE|BUCKET-URL#KEY [--format json|md|html] [--symbols PATH[,PATH…]]\n       analyzer analyze --blob BUCKET-URL KEY [--format json|md|html] [--symbols PATH[,PATH…]]")
		fs.PrintDefaults()
	}
	pos, err := service.Parse(fs, args, noEnv)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want exactly one dump (a file, BUCKET-URL#KEY, or --blob URL KEY)", errUsage)
	}
	switch *format {
	case report.FormatJSON, report.FormatMarkdown, report.FormatHTML:
	default:
		return fmt.Errorf("%w: --format %q: want json, md or html", errUsage, *format)
	}
	store, err := syms.open()
	if err != nil {
		return err
	}
	opts := dumpfacts.Options{MaxFrames: *frames, Symbols: store}
	bucketURL, key := *blobURL, pos[0]
	if bucketURL == "" {
		if u, k, ok := analyzer.SplitBlobURL(pos[0]); ok {
			bucketURL, key = u, k
		}
	}
	var a *dumpfacts.Analysis
	title := key
	if bucketURL == "" {
		title = filepath.Base(key)
		a, err = analyzer.AnalyzeFile(ctx, key, opts)
	} else {
		bucket, oerr := backend.OpenBucket(ctx, bucketURL)
		if oerr != nil {
			return oerr
		}
		defer bucket.Close()
		a, err = analyzer.AnalyzeBlob(ctx, bucket, key, opts)
	}
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	if err := report.WriteDump(w, a, title, *format); err != nil {
		return err
	}
	return w.Flush()
}
