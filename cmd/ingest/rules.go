package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/azcred"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// rulesCLI is "ingest rules": its own subcommands, with the same --help
// and usage-error rules as the binary.
var rulesCLI = &service.CLI{Name: "ingest rules", Commands: map[string]service.Command{
	"check": {Summary: "validate a rules file and print it normalized: ingest rules check FILE",
		Run: func(_ context.Context, args []string, stdout, stderr io.Writer) error {
			return runRulesCheck(args, stdout, stderr)
		}},
	"import": {Summary: "import a site's autoHealRules: ingest rules import --file FILE | --site RESOURCE_ID", Run: runRulesImport},
}}

// runRules: ingest rules check FILE | ingest rules import --file FILE | --site RESOURCE_ID
func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return rulesCLI.Run(ctx, args, stdout, stderr)
}

// runRulesCheck validates a rules file and prints it normalized (time
// spans as hh:mm:ss, defaults of limits filled in), and on stderr the
// source each trigger is observed from, naming the ones it cannot fire: a
// request trigger reads web server logs while the site writes them, and
// otherwise Azure Monitor metrics.
func runRulesCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rules check", stderr)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: rules check takes one FILE", errUsage)
	}
	f, err := loadRules(pos[0])
	if err != nil {
		return err
	}
	// Where each trigger is observed, on stderr so stdout stays the file.
	for _, n := range f.SourceNotes() {
		from := "from"
		if n.Fallback {
			from = "otherwise from"
		}
		line := fmt.Sprintf("rule %s: %s %s %s", n.Rule, n.Trigger, from, n.Source)
		if n.Never {
			line += ": never fires: " + n.Note
		} else if n.Note != "" {
			line += ": " + n.Note
		}
		fmt.Fprintln(stderr, line)
	}
	return printJSON(stdout, f.Normalized())
}

func loadRules(path string) (*autoheal.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := autoheal.ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// runRulesImport turns a site's siteConfig.autoHealRules into a rules file.
func runRulesImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rules import", stderr)
	file := fs.String("file", "", "config/web or site JSON, or a bare autoHealRules object")
	site := fs.String("site", "", "resource id of the site (or slot) to read from Resource Manager")
	name := fs.String("name", "", "name of the imported rule (default: the site or file name)")
	armURL := fs.String("arm-url", "https://management.azure.com", "Azure Resource Manager endpoint")
	var auth service.AuthFlag
	auth.Register(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*file == "") == (*site == "") {
		return fmt.Errorf("%w: rules import needs exactly one of --file or --site", errUsage)
	}
	var data []byte
	var err error
	var sites []string
	if *file != "" {
		data, err = os.ReadFile(*file)
		if *name == "" {
			*name = strings.TrimSuffix(filepath.Base(*file), filepath.Ext(*file))
		}
	} else {
		rd := &autoheal.SiteConfigReader{BaseURL: *armURL}
		if auth.Azure(*armURL) {
			cred, cerr := azcred.Default()
			if cerr != nil {
				return fmt.Errorf("ARM credential: %w", cerr)
			}
			rd.Credential = cred
		}
		data, err = rd.Read(ctx, *site)
		sites = []string{*site}
		if *name == "" {
			*name = "autoheal-" + (*site)[strings.LastIndex(*site, "/")+1:]
		}
	}
	if err != nil {
		return err
	}
	r, err := autoheal.Import(*name, data)
	if err != nil {
		return err
	}
	r.Sites = sites
	f := &autoheal.File{Rules: []autoheal.Rule{*r}}
	if r.Action.Note != "" {
		fmt.Fprintln(stderr, "note:", r.Action.Note)
	}
	if !r.IsEnabled() {
		fmt.Fprintln(stderr, "note: the site has autoHealEnabled=false; the rule is imported disabled")
	}
	return printJSON(stdout, f.Normalized())
}

// errNoRuleSites is returned when serve gets rules without sites to watch.
var errNoRuleSites = errors.New("every rule used by serve must list the sites it watches")
