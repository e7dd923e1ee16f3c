package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeContract checks the test/kudusim contract: the first stdout
// line, GET / and a clean exit when the context (signal) ends.
func TestServeContract(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--apps", "2", "--instances", "3", "--dump-size", "2MiB",
			"--dump-write-time", "10ms", "--first-byte-limit", "230s", "--fault-5xx", "0"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	m := regexp.MustCompile(`^kudusim listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q", line)
	}
	go io.Copy(io.Discard, pr)
	res, err := http.Get(m[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		ARMURL         string `json:"arm_url"`
		SCMURLTemplate string `json:"scm_url_template"`
		Apps           []struct {
			Name       string   `json:"name"`
			ResourceID string   `json:"resource_id"`
			SCMURL     string   `json:"scm_url"`
			Instances  []string `json:"instances"`
		} `json:"apps"`
	}
	err = json.NewDecoder(res.Body).Decode(&info)
	res.Body.Close()
	if err != nil || len(info.Apps) != 2 || len(info.Apps[1].Instances) != 3 || info.ARMURL != m[1] ||
		strings.Replace(info.SCMURLTemplate, "{app}", info.Apps[1].Name, 1) != info.Apps[1].SCMURL {
		t.Fatalf("GET /: %+v %v", info, err)
	}
	res, err = http.Get(info.Apps[0].SCMURL + "/api/processes/-1/dump?dumpType=2")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if n != 2<<20 {
		t.Errorf("dump of %d bytes", n)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestWriteDump(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.dmp")
	var stdout strings.Builder
	if err := run(context.Background(), []string{"write-dump", "--size", "3MiB", "--type", "full", out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() != 3<<20 {
		t.Fatalf("stat: %v %v", st, err)
	}
	b, _ := os.ReadFile(out)
	if string(b[:4]) != "MDMP" || !strings.Contains(stdout.String(), "sha256") {
		t.Errorf("dump header %q, stdout %q", b[:4], stdout.String())
	}
	mini := filepath.Join(t.TempDir(), "m.dmp")
	if err := run(context.Background(), []string{"write-dump", "--type", "mini", "--exception", mini}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--apps", "0x"}, {"--dump-size", "12QB"}, {"--apps", "-3"}, {"extra"},
		{"write-dump"}, {"write-dump", "--type", "huge", "x.dmp"}, {"write-dump", "--type", "full", "--size", "1KiB", "x.dmp"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if exitCode(err) != 2 {
			t.Errorf("%v: err %v, exit %d", args, err, exitCode(err))
		}
	}
	var help strings.Builder
	if err := run(context.Background(), []string{"--help"}, io.Discard, &help); exitCode(err) != 0 || !strings.Contains(help.String(), "--first-byte-limit") && !strings.Contains(help.String(), "-first-byte-limit") {
		t.Errorf("--help: %v %q", err, help.String())
	}
}
