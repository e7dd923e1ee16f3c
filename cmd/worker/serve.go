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
	queueURL := fs.String("queue", backend.DefaultQueueURL(), "queue backend URL (file://… or sb://…); reads \"captures\", writes \"analysis\"")
	blobURL := fs.String("blob", backend.DefaultBlobURL(), "blob backend URL (file://… or https://ACCOUNT.blob.core.windows.net/CONTAINER)")
	listen := fs.String("listen", "127.0.0.1:9464", "address of /metrics, /healthz and /readyz (empty: none)")
	jobs := fs.Int("jobs", 2, "capture jobs handled at once")
	grace := fs.Duration("grace", 2*time.Minute, "on SIGTERM, how long dumps in flight may finish before they are abandoned")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	var kf kuduFlags
	kf.register(fs)
	var ef engineFlags
	ef.register(fs, 4)
	var bf blobFlags
	bf.register(fs)
	if err := parse(fs, args, os.Getenv); err != nil {
		return err
	}
	log, err := service.NewLogger(stderr, *logLevel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	k, err := kf.build()
	if err != nil {
		return err
	}
	captures, err := backend.OpenQueue(ctx, *queueURL, backend.CapturesQueue)
	if err != nil {
		return err
	}
	defer captures.Close()
	analysis, err := backend.OpenQueue(ctx, *queueURL, backend.AnalysisQueue)
	if err != nil {
		return err
	}
	defer analysis.Close()
	bucket, err := bf.open(ctx, *blobURL)
	if err != nil {
		return err
	}
	defer bucket.Close()

	obs, err := service.Observe(ctx, "worker", version)
	if err != nil {
		return err
	}
	defer obs.Close()
	reg := obs.Registry
	cfg := ef.config()
	cfg.Logger = log
	e, err := worker.New(k, bucket, worker.QueuePublisher{Queue: analysis}, worker.NewMetrics(reg), cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cons, err := queue.NewConsumer(queue.Config{Queue: captures, Handler: e.Handler(), Concurrency: *jobs, ShutdownGrace: *grace, Logger: log})
	if err != nil {
		return err
	}
	health := obs.Health
	// On SIGTERM: stop starting dumps, fail readiness; the consumer lets
	// in-flight handlers run for the grace period, then abandons them.
	stop := context.AfterFunc(ctx, func() { e.Stop(); health.Drain() })
	defer stop()

	mux := obs.Mux
	log.Info("worker serving", "queue", *queueURL, "listen", *listen, "jobs", *jobs, "concurrency", ef.concurrency)
	err = service.RunWithHTTP(ctx, log, *listen, mux, cons.Run)
	log.Info("worker stopped")
	return err
}
