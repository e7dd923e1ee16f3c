package service

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestServeFlags(t *testing.T) {
	fs := NewFlagSet("x serve", io.Discard)
	var sf ServeFlags
	sf.Register(fs, ServeDefaults{Listen: "127.0.0.1:1", Grace: time.Minute, Queues: `reads "q"`})
	env := map[string]string{"DUMPFLOW_BLOB": "file:///env-blob", "DUMPFLOW_LISTEN": "127.0.0.1:3"}
	if err := ParseNoArgs(fs, []string{"--listen", "127.0.0.1:2", "--grace=5s"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if sf.Listen != "127.0.0.1:2" || sf.Grace != 5*time.Second || sf.Blob != "file:///env-blob" || sf.LogLevel != "info" || sf.Queue == "" {
		t.Errorf("got %+v: want the command line over the environment over the defaults", sf)
	}
	if u := fs.Lookup("queue").Usage; u != `queue backend URL (file://… or sb://…); reads "q"` {
		t.Errorf("--queue help %q does not name the binary's queues", u)
	}
	for _, name := range []string{"listen", "queue", "blob", "log-level", "grace"} {
		if fs.Lookup(name) == nil {
			t.Errorf("--%s not registered (docs/contracts.md names it)", name)
		}
	}
}

func TestParseNoArgsRefusesPositional(t *testing.T) {
	fs := NewFlagSet("x serve", io.Discard)
	err := ParseNoArgs(fs, []string{"stray"}, func(string) string { return "" })
	if !errors.Is(err, ErrUsage) || err.Error() != `usage: unexpected argument "stray"` {
		t.Errorf("got %v, want a usage error naming the argument", err)
	}
}

func TestServeFlagsStartBadLogLevel(t *testing.T) {
	sf := ServeFlags{LogLevel: "loud"}
	if _, err := sf.Start(context.Background(), "x", "dev", io.Discard); !errors.Is(err, ErrUsage) {
		t.Errorf("log level %q: %v, want a usage error", sf.LogLevel, err)
	}
}
