package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/service"
	"github.com/dumpflow/dumpflow/pkg/worker"
)

// runServe: worker serve [--queue URL] [--blob URL] [--listen ADDR] …
func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var sf service.ServeFlags
	sf.Register(fs, service.ServeDefaults{
		Listen: "127.0.0.1:9464", ListenHelp: "address of /metrics, /healthz and /readyz (empty: none)",
		Queues: `reads "captures", writes "analysis"`,
		Grace:  2 * time.Minute, GraceHelp: "on SIGTERM, how long dumps in flight may finish before they are abandoned",
	})
	jobs := fs.Int("jobs", 2, "capture jobs handled at once")
	var kf kuduFlags
	kf.register(fs)
	var ef engineFlags
	ef.register(fs, worker.DefaultConcurrency)
	var bf blobFlags
	bf.register(fs)
	if err := service.ParseNoArgs(fs, args, os.Getenv); err != nil {
		return err
	}
	srv, err := sf.Start(ctx, "worker", version, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	log := srv.Log
	k, err := kf.build()
	if err != nil {
		return err
	}
	captures, err := backend.OpenQueue(ctx, sf.Queue, backend.CapturesQueue)
	if err != nil {
		return err
	}
	defer captures.Close()
	analysis, err := backend.OpenQueue(ctx, sf.Queue, backend.AnalysisQueue)
	if err != nil {
		return err
	}
	defer analysis.Close()
	bucket, err := bf.open(ctx, sf.Blob)
	if err != nil {
		return err
	}
	defer bucket.Close()

	cfg := ef.config()
	cfg.Logger = log
	e, err := worker.New(k, bucket, worker.QueuePublisher{Queue: analysis}, worker.NewMetrics(srv.Registry), cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cons, err := queue.NewConsumer(queue.Config{Queue: captures, Handler: e.Handler(), Concurrency: *jobs, ShutdownGrace: sf.Grace, Logger: log})
	if err != nil {
		return err
	}
	// On SIGTERM: stop starting dumps, fail readiness; the consumer lets
	// in-flight handlers run for the grace period, then abandons them.
	stop := context.AfterFunc(ctx, func() { e.Stop(); srv.Health.Drain() })
	defer stop()

	log.Info("worker serving", "queue", sf.Queue, "listen", sf.Listen, "jobs", *jobs, "concurrency", ef.concurrency)
	err = service.RunWithHTTP(ctx, log, sf.Listen, srv.Mux, cons.Run)
	log.Info("worker stopped")
	return err
}
