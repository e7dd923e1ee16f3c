package kudu

import (
	"strings"
	"testing"
)

func TestStagedCloneByDefault(t *testing.T) {
	c, err := New(Config{SCMURL: "https://app.scm.azurewebsites.net"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg        StagedConfig
		full, mini string
	}{
		{StagedConfig{}, "-accepteula -r -ma {pid} {file}", "-accepteula -r -mm {pid} {file}"},
		{StagedConfig{NoClone: true}, "-accepteula -ma {pid} {file}", "-accepteula -mm {pid} {file}"},
		// Explicit arguments are used as given, NoClone or not.
		{StagedConfig{NoClone: true, FullArgs: "-r 2 -ma {pid} {file}"}, "-r 2 -ma {pid} {file}", "-accepteula -mm {pid} {file}"},
	} {
		s, err := NewStaged(c, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if s.cfg.FullArgs != tc.full || s.cfg.MiniArgs != tc.mini {
			t.Errorf("%+v: full %q mini %q", tc.cfg, s.cfg.FullArgs, s.cfg.MiniArgs)
		}
		if strings.Contains(s.cfg.FullArgs, "-r") == tc.cfg.NoClone && tc.cfg.FullArgs == "" {
			t.Errorf("%+v: clone flag wrong in %q", tc.cfg, s.cfg.FullArgs)
		}
	}
}
