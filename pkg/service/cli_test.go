package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func testCLI() (*CLI, error) {
	quiet := errors.New("targets failed")
	flagged := func(_ context.Context, args []string, _, stderr io.Writer) error {
		fs := NewFlagSet("tool flagged", stderr)
		fs.Int("count", 1, "how many")
		_, err := ParseArgs(fs, args)
		return err
	}
	c := &CLI{Name: "tool", Version: "1.2.3", Footer: "flags also from DUMPFLOW_*", Quiet: []error{quiet}, Commands: map[string]Command{
		"ok":      {"succeeds", func(context.Context, []string, io.Writer, io.Writer) error { return nil }},
		"fail":    {"fails", func(_ context.Context, args []string, _, _ io.Writer) error { return fmt.Errorf("boom %v", args) }},
		"pkgfail": {"fails with a package error", func(context.Context, []string, io.Writer, io.Writer) error { return errors.New("tool: invalid config") }},
		"quiet":   {"fails quietly", func(context.Context, []string, io.Writer, io.Writer) error { return quiet }},
		"usage": {"usage error", func(context.Context, []string, io.Writer, io.Writer) error {
			return fmt.Errorf("%w: needs --app", ErrUsage)
		}},
		"exit3": {"distinct status", func(context.Context, []string, io.Writer, io.Writer) error {
			return &ExitStatus{Code: 3, Msg: "nothing matched"}
		}},
		"flagged": {"has flags", flagged},
	}}
	return c, quiet
}

// TestCLIExitCodes: one discipline for every binary — help exits 0 at the
// top and on subcommands, usage errors exit 2 with the mistake first and a
// one-line hint, other errors exit 1 with one prefix.
func TestCLIExitCodes(t *testing.T) {
	c, _ := testCLI()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ok"}, 0, ""},
		{[]string{"fail", "x"}, 1, "tool: boom [x]"},
		{[]string{"pkgfail"}, 1, "tool: invalid config"},
		{[]string{"quiet"}, 1, ""},
		{[]string{"exit3"}, 3, "tool: nothing matched"},
		{[]string{"nope"}, 2, "tool: unknown subcommand \"nope\" (one of exit3, fail, flagged, ok, pkgfail, quiet, usage)\nRun 'tool --help' for usage."},
		{nil, 2, "tool: a subcommand is required\nRun 'tool --help' for usage."},
		{[]string{"usage"}, 2, "tool usage: needs --app\nRun 'tool usage --help' for usage."},
		{[]string{"flagged", "--bogus"}, 2, "tool flagged: flag provided but not defined: -bogus\nRun 'tool flagged --help' for usage."},
		{[]string{"flagged", "--count", "x"}, 2, "tool flagged: invalid value \"x\" for flag -count: parse error\nRun 'tool flagged --help' for usage."},
		{[]string{"--help"}, 0, ""},
		{[]string{"flagged", "--help"}, 0, ""},
		{[]string{"flagged", "-h"}, 0, ""},
		{[]string{"--version"}, 0, ""},
	} {
		var out, errOut bytes.Buffer
		err := c.Run(context.Background(), tc.args, &out, &errOut)
		var stderr bytes.Buffer
		if code := c.ExitCode(err, &stderr); code != tc.code || strings.TrimSpace(stderr.String()) != tc.msg {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
		if tc.args != nil && tc.args[0] == "flagged" && tc.code == 2 && strings.Contains(errOut.String(), "how many") {
			t.Errorf("%v: a bad flag printed the whole flag list:\n%s", tc.args, errOut.String())
		}
	}
}

func TestCLIHelpAndVersion(t *testing.T) {
	c, _ := testCLI()
	var out, errOut bytes.Buffer
	_ = c.Run(context.Background(), []string{"help"}, &out, &errOut)
	if !strings.Contains(out.String(), "quiet") || !strings.Contains(out.String(), "DUMPFLOW_*") || errOut.Len() != 0 {
		t.Fatalf("help goes to stdout: stdout %q stderr %q", out.String(), errOut.String())
	}
	out.Reset()
	_ = c.Run(context.Background(), []string{"--version"}, &out, &errOut)
	if !strings.HasPrefix(out.String(), "tool 1.2.3 (") {
		t.Fatalf("version: %q", out.String())
	}
	out.Reset()
	errOut.Reset()
	_ = c.Run(context.Background(), []string{"flagged", "--help"}, &out, &errOut)
	if !strings.Contains(out.String()+errOut.String(), "how many") {
		t.Fatalf("subcommand help lists its flags: %q %q", out.String(), errOut.String())
	}
}

// TestEnvValueNamesType: a variable that does not parse says what the
// flag wants.
func TestEnvValueNamesType(t *testing.T) {
	fs := NewFlagSet("x", io.Discard)
	fs.Int("concurrency", 4, "")
	fs.Bool("kill", false, "")
	fs.Duration("grace", time.Second, "")
	env := map[string]string{"DUMPFLOW_CONCURRENCY": "abc", "DUMPFLOW_KILL": "maybe", "DUMPFLOW_GRACE": "10"}
	err := FillFromEnv(fs, func(k string) string { return env[k] })
	for _, want := range []string{`DUMPFLOW_CONCURRENCY="abc": want a whole number`, `DUMPFLOW_KILL="maybe": want true or false`, `DUMPFLOW_GRACE="10": want a duration`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
