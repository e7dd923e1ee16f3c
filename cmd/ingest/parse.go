package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/dumpflow/dumpflow/pkg/alert"
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
