package service

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestCLI(t *testing.T) {
	quiet := errors.New("targets failed")
	c := &CLI{Name: "tool", Footer: "flags also from DUMPFLOW_*", Quiet: []error{quiet}, Commands: map[string]Command{
		"ok":    {"succeeds", func(context.Context, []string, io.Writer, io.Writer) error { return nil }},
		"fail":  {"fails", func(_ context.Context, args []string, _, _ io.Writer) error { return fmt.Errorf("boom %v", args) }},
		"quiet": {"fails quietly", func(context.Context, []string, io.Writer, io.Writer) error { return quiet }},
	}}
	var out bytes.Buffer
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ok"}, 0, ""},
		{[]string{"fail", "x"}, 1, "tool: boom [x]"},
		{[]string{"quiet"}, 1, ""},
		{[]string{"nope"}, 2, `tool: usage: unknown subcommand "nope"`},
		{nil, 2, "tool: usage: a subcommand is required"},
		{[]string{"--help"}, 0, ""},
	} {
		out.Reset()
		err := c.Run(context.Background(), tc.args, &out, &out)
		var stderr bytes.Buffer
		if code := c.exitCode(err, &stderr); code != tc.code || strings.TrimSpace(stderr.String()) != tc.msg {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
	out.Reset()
	_ = c.Run(context.Background(), []string{"help"}, &out, &out)
	if !strings.Contains(out.String(), "quiet  fails quietly") && !strings.Contains(out.String(), "quiet") || !strings.Contains(out.String(), "DUMPFLOW_*") {
		t.Fatalf("usage: %s", out.String())
	}
	if c.exitCode(flag.ErrHelp, io.Discard) != 2 {
		t.Fatal("-h must exit 2")
	}
}
