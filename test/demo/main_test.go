package main

import (
	"io"
	"testing"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.apps != 3 || o.instances != 2 || o.dumpSize != "8MiB" || o.dir != "" {
		t.Errorf("defaults %+v", o)
	}
	for _, bad := range [][]string{{"--apps", "0"}, {"--instances", "21"}, {"extra"}, {"--nope"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestSubscriptionOf(t *testing.T) {
	id := "/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Web/sites/shop"
	if got := subscriptionOf(id); got != "abc" {
		t.Errorf("subscriptionOf = %q", got)
	}
	if got := subscriptionOf("/nothing/here"); got != "" {
		t.Errorf("subscriptionOf = %q", got)
	}
}
