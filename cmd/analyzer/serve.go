package main

import (
	"context"
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
	var sf service.ServeFlags
	sf.Register(fs, service.ServeDefaults{
		Listen: "127.0.0.1:9465", ListenHelp: "address of /healthz and /readyz (empty: none)",
		Queues: `reads "analysis"`,
		Grace:  time.Minute, GraceHelp: "on SIGTERM, how long analyses in flight may finish before they are abandoned",
	})
	concurrency := fs.Int("concurrency", 2, "messages handled at once")
	syms := symbolFlags(fs, filepath.Join(backend.DataDir(), "symbols"))
	if err := service.ParseNoArgs(fs, args, os.Getenv); err != nil {
		return err
	}
	srv, err := sf.Start(ctx, "analyzer", version, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	log := srv.Log
	syms.logger = log
	store, err := syms.open()
	if err != nil {
		return err
	}
	q, err := backend.OpenQueue(ctx, sf.Queue, backend.AnalysisQueue)
	if err != nil {
		return err
	}
	defer q.Close()
	bucket, err := backend.OpenBucket(ctx, sf.Blob)
	if err != nil {
		return err
	}
	defer bucket.Close()

	h := analyzer.New(bucket, analyzer.Config{Logger: log, Analysis: dumpfacts.Options{Symbols: store}})
	defer h.Close() // after the consumer stops: waits for report renders still running
	cons, err := queue.NewConsumer(queue.Config{Queue: q, Handler: h, Concurrency: *concurrency, ShutdownGrace: sf.Grace, Logger: log})
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, srv.Health.Drain)
	defer stop()
	log.Info("analyzer serving", "queue", sf.Queue, "listen", sf.Listen, "concurrency", *concurrency, "symbols", *syms.path)
	err = service.RunWithHTTP(ctx, log, sf.Listen, srv.Mux, cons.Run)
	log.Info("analyzer stopped")
	return err
}
