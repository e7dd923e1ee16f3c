package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// runPlan: ingest plan --config FILE ALERT.json
func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", stderr)
	config := fs.String("config", "", "policy configuration file (JSON)")
	source := fs.String("source", "", "parse the alert as this source instead of detecting it")
	at := fs.String("now", "", "evaluate at this RFC 3339 time instead of now (policy expiry)")
	blobURL := fs.String("blob", "", "read the limit state from this blob backend (read only); default: empty state")
	armURL := fs.String("arm-url", "", "expand plans, resource groups and tags through this ARM endpoint; default: unexpanded")
	var auth service.AuthFlag
	auth.Register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ingest plan --config FILE [--source NAME] ALERT.json|-")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *config == "" || len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: plan needs --config FILE and one ALERT file", errUsage)
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("%w: --now: %v", errUsage, err)
		}
	}
	cfg, err := policy.Load(*config)
	if err != nil {
		return err
	}
	a, err := parseAlert(pos[0], *source)
	if err != nil {
		return err
	}
	// Without --arm-url plans, resource groups and tags are reported
	// unexpanded; without --blob limits start from an empty state.
	var store policy.Store
	if *blobURL != "" {
		b, err := backend.OpenBucket(ctx, *blobURL)
		if err != nil {
			return err
		}
		defer b.Close()
		store = policy.NewBlobStore(b) // Plan only reads it
	}
	var dir ingest.SiteDirectory
	if *armURL != "" {
		d, err := newARMDirectory(*armURL, auth.Azure(*armURL))
		if err != nil {
			return err
		}
		dir = d
	}
	events := ingest.Plan(ctx, cfg, dir, store, a, now)
	return printJSON(stdout, struct {
		DryRun bool                  `json:"dry_run"`
		Alert  *alert.Alert          `json:"alert"`
		Events []ingest.EventOutcome `json:"events"`
	}{true, a, events})
}
