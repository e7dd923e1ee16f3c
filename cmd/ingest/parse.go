package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

// readPayload reads an alert payload from a file or "-" (stdin).
func readPayload(name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, alert.MaxPayloadSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

func parseAlert(name, source string) (*alert.Alert, error) {
	data, err := readPayload(name)
	if err != nil {
		return nil, err
	}
	if source != "" {
		return alert.ParseAs(source, data)
	}
	return alert.Parse(data)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// runParse: ingest parse [--source NAME] FILE|-
func runParse(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("parse", stderr)
	source := fs.String("source", "", "parse as this source instead of detecting it")
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: ingest parse [--source NAME] FILE|-"); fs.PrintDefaults() }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: parse takes one FILE or -", errUsage)
	}
	a, err := parseAlert(pos[0], *source)
	if err != nil {
		return err
	}
	return printJSON(stdout, a)
}

// runPlan: ingest plan --config FILE ALERT.json
func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", stderr)
	config := fs.String("config", "", "policy configuration file (JSON)")
	source := fs.String("source", "", "parse the alert as this source instead of detecting it")
	at := fs.String("now", "", "evaluate at this RFC 3339 time instead of now (policy expiry)")
	blobURL := fs.String("blob", "", "read the limit state from this blob backend (read only); default: empty state")
	armURL := fs.String("arm-url", "", "expand plans, resource groups and tags through this ARM endpoint; default: unexpanded")
	armAuth := fs.Bool("arm-auth", true, "with --arm-url, authenticate with azidentity's default credential")
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
		d, err := newARMDirectory(*armURL, *armAuth)
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
