package service

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestFillFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	blob := fs.String("blob", "default", "")
	queue := fs.String("queue", "default", "")
	n := fs.Int("max-attempts", 1, "")
	var apps ListFlag
	fs.Var(&apps, "app", "")
	if err := fs.Parse([]string{"--queue", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DUMPFLOW_BLOB": "from-env", "DUMPFLOW_QUEUE": "ignored", "DUMPFLOW_MAX_ATTEMPTS": "7", "DUMPFLOW_APP": "a, b"}
	if err := FillFromEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if *blob != "from-env" || *queue != "from-flag" || *n != 7 || strings.Join(apps, "|") != "a|b" {
		t.Fatalf("blob %q queue %q n %d apps %v", *blob, *queue, *n, apps)
	}
	fs2 := flag.NewFlagSet("y", flag.ContinueOnError)
	fs2.Int("max-attempts", 1, "")
	_ = fs2.Parse(nil)
	err := FillFromEnv(fs2, func(string) string { return "many" })
	if err == nil || !strings.Contains(err.Error(), "DUMPFLOW_MAX_ATTEMPTS") {
		t.Fatalf("bad value: %v", err)
	}
}

func TestParseArgsInterleaved(t *testing.T) {
	fs := NewFlagSet("x y", io.Discard)
	format := fs.String("format", "json", "")
	pos, err := ParseArgs(fs, []string{"a.dmp", "--format", "md", "b.dmp"})
	if err != nil || *format != "md" || strings.Join(pos, ",") != "a.dmp,b.dmp" {
		t.Fatalf("pos %v format %q err %v", pos, *format, err)
	}
	if _, err := ParseArgs(NewFlagSet("x", io.Discard), []string{"--nope"}); !errors.Is(err, ErrUsage) {
		t.Fatalf("unknown flag: %v", err)
	}
	if _, err := ParseArgs(NewFlagSet("x", io.Discard), []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}
