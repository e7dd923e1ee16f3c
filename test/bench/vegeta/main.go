// Command vegeta-targets writes a vegeta targets file (JSON format, one
// target a line, bodies base64) of distinct authenticated alert webhooks,
// for measuring the real `ingest serve` binary with the outside load
// generator vegeta (see run.sh and docs/benchmarks.md).
//
//	go run ./test/bench/vegeta --fixture FILE --url URL --token T --count N [--first K] [--apps A] > targets.json
//
// Each alert is the fixture (an Azure Monitor common-schema alert) made
// to fire, with its own alert id (so every post is a new incident: a
// manifest created and a capture job enqueued, not a duplicate) and its
// target moved to one of A apps of the fixture's subscription and
// resource group. The token goes in the URL's token parameter, as Azure
// Monitor action groups send it.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
)

// target is one line of vegeta's JSON targets format.
type target struct {
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Body   []byte              `json:"body"` // encoding/json writes []byte as base64, as vegeta reads it
	Header map[string][]string `json:"header"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vegeta-targets:", err)
		os.Exit(1)
	}
}

var siteID = regexp.MustCompile(`^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.web/sites/)[^/]+$`)

func run(args []string) error {
	fs := flag.NewFlagSet("vegeta-targets", flag.ContinueOnError)
	fixture := fs.String("fixture", "", "Azure Monitor common-schema alert (JSON) with an App Service target")
	base := fs.String("url", "http://127.0.0.1:8080/v1/alerts", "ingest webhook URL")
	token := fs.String("token", "", "webhook token (at least 16 characters)")
	count := fs.Int("count", 10000, "distinct alerts to write")
	first := fs.Int("first", 0, "number of the first alert (runs that must not repeat each other's alerts use different ranges)")
	apps := fs.Int("apps", 50, "apps the alerts are spread over")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fixture == "" || *token == "" || *count < 1 || *apps < 1 {
		return errors.New("need --fixture, --token, a positive --count and --apps")
	}
	raw, err := os.ReadFile(*fixture)
	if err != nil {
		return err
	}
	var alert map[string]any
	if err := json.Unmarshal(raw, &alert); err != nil {
		return fmt.Errorf("fixture %s: %w", *fixture, err)
	}
	data, _ := alert["data"].(map[string]any)
	ess, _ := data["essentials"].(map[string]any)
	targets, _ := ess["alertTargetIDs"].([]any)
	first0, _ := targetString(targets)
	m := siteID.FindStringSubmatch(first0)
	if ess == nil || m == nil {
		return fmt.Errorf("fixture %s: not a common-schema alert on an App Service app (data.essentials.alertTargetIDs[0] = %q)", *fixture, first0)
	}
	sub := regexp.MustCompile(`^/subscriptions/([^/]+)/`).FindStringSubmatch(first0)[1]
	u, err := url.Parse(*base)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("token", *token)
	u.RawQuery = q.Encode()

	ess["monitorCondition"] = "Fired"
	delete(ess, "resolvedDateTime")
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for i := range *count {
		k := *first + i
		ess["alertId"] = fmt.Sprintf("/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts/%08x-0000-4000-8000-%012x", sub, k, k)
		ess["alertTargetIDs"] = []any{fmt.Sprintf("%sapp%d", m[1], k%*apps)}
		body, err := json.Marshal(alert)
		if err != nil {
			return err
		}
		if err := enc.Encode(target{Method: "POST", URL: u.String(), Body: body,
			Header: map[string][]string{"Content-Type": {"application/json"}}}); err != nil {
			return err
		}
	}
	return w.Flush()
}

func targetString(targets []any) (string, bool) {
	if len(targets) == 0 {
		return "", false
	}
	s, ok := targets[0].(string)
	return s, ok
}
