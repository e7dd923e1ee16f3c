package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dumpflow/dumpflow/pkg/analyzer"
	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// runServe: analyzer serve [--queue URL] [--blob URL] [--listen ADDR] …
func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	queueURL := fs.String("queue", backend.DefaultQueueURL(), "queue backend URL (file://… or sb://…); reads \"analysis\"")
	blobURL := fs.String("blob", backend.DefaultBlobURL(), "blob backend URL (file://… or https://ACCOUNT.blob.core.windows.net/CONTAINER)")
	listen := fs.String("listen", "127.0.0.1:9465", "address of /healthz and /readyz (empty: none)")
	concurrency := fs.Int("concurrency", 2, "messages handled at once")
	grace := fs.Duration("grace", time.Minute, "on SIGTERM, how long analyses in flight may finish before they are abandoned")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	syms := symbolFlags(fs, filepath.Join(backend.DataDir(), "symbols"))
	pos, err := parse(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	log, err := service.NewLogger(stderr, *logLevel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	syms.logger = log
	store, err := syms.open()
	if err != nil {
		return err
	}
	q, err := backend.OpenQueue(ctx, *queueURL, backend.AnalysisQueue)
	if err != nil {
		return err
	}
	defer q.Close()
	bucket, err := backend.OpenBucket(ctx, *blobURL)
	if err != nil {
		return err
	}
	defer bucket.Close()

	obs, err := service.Observe(ctx, "analyzer", version)
	if err != nil {
		return err
	}
	defer obs.Close()
	h := analyzer.New(bucket, analyzer.Config{Logger: log, Analysis: dumpfacts.Options{Symbols: store}})
	defer h.Close() // after the consumer stops: waits for report renders still running
	cons, err := queue.NewConsumer(queue.Config{Queue: q, Handler: h, Concurrency: *concurrency, ShutdownGrace: *grace, Logger: log})
	if err != nil {
		return err
	}
	health, mux := obs.Health, obs.Mux
	stop := context.AfterFunc(ctx, health.Drain)
	defer stop()
	log.Info("analyzer serving", "queue", *queueURL, "listen", *listen, "concurrency", *concurrency, "symbols", *syms.path)
	err = service.RunWithHTTP(ctx, log, *listen, mux, cons.Run)
	log.Info("analyzer stopped")
	return err
}
