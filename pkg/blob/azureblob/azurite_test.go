package azureblob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvTestAzurite names a connection string of a running Azurite (or real
// storage account) to test against instead of starting one.
const EnvTestAzurite = "DUMPFLOW_TEST_AZURITE"

// devstoreKey is Azurite's well-known development account key, published
// in its README; it is no secret.
const devstoreKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

var (
	azuriteOnce sync.Once
	azuriteConn string // connection string, once available
	azuriteWhy  string // why it is not
	azuriteStop func() // ends the Azurite this process started, if any
)

// TestMain stops the Azurite that tests may have started.
func TestMain(m *testing.M) {
	code := m.Run()
	if azuriteStop != nil {
		azuriteStop()
	}
	os.Exit(code)
}

// requireAzurite returns the connection string to test against: the one in
// DUMPFLOW_TEST_AZURITE, else that of an Azurite started on first use. It
// skips the test when neither is available, and fails it when CI=true.
func requireAzurite(t testing.TB) string {
	t.Helper()
	azuriteOnce.Do(func() {
		if cs := os.Getenv(EnvTestAzurite); cs != "" {
			azuriteConn = cs
			return
		}
		bin, err := findAzurite()
		if err != nil {
			azuriteWhy = err.Error()
			return
		}
		stop, conn, err := startAzurite(bin)
		if err != nil {
			azuriteWhy = err.Error()
			return
		}
		azuriteStop, azuriteConn = stop, conn
	})
	if azuriteConn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("azurite required in CI: %s", azuriteWhy)
		}
		t.Skipf("azurite not installed: run .ci/azurite.sh install (%s)", azuriteWhy)
	}
	return azuriteConn
}

// findAzurite looks for azurite-blob on PATH, then in the repository's
// .cache/azurite (where .ci/azurite.sh installs it).
func findAzurite() (string, error) {
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".cache", "azurite", "node_modules", ".bin", "azurite-blob")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("no azurite-blob on PATH or at %s", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no azurite-blob on PATH and no go.mod above the test directory")
		}
		dir = parent
	}
}

// startAzurite runs azurite-blob in memory on a free loopback port and
// waits until it listens. stop ends it.
func startAzurite(bin string) (stop func(), conn string, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	work, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--loose")
	cmd.Dir = work
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(work)
		return nil, "", fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		os.RemoveAll(work)
	}
	ready := make(chan struct{})
	go func() { // owned by stop, which waits for exited
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "successfully listens") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}()
	select {
	case <-ready:
	case <-exited:
		stop()
		return nil, "", fmt.Errorf("%s exited before listening", bin)
	case <-time.After(60 * time.Second):
		stop()
		return nil, "", fmt.Errorf("%s did not listen within 60 s", bin)
	}
	conn = fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/devstoreaccount1;", devstoreKey, port)
	return stop, conn, nil
}

// openTestBucket opens a new, uniquely named container, deleted when the
// test ends.
func openTestBucket(t testing.TB, opts *Options) *Bucket {
	t.Helper()
	conn := requireAzurite(t)
	name := fmt.Sprintf("t%x", time.Now().UnixNano())
	o := Options{CreateContainer: true}
	if opts != nil {
		o = *opts
		o.CreateContainer = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := OpenConnectionStringOptions(ctx, conn, name, &o)
	if err != nil {
		t.Fatalf("opening container %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := b.c.Delete(ctx, nil); err != nil {
			t.Errorf("deleting container %s: %v", name, err)
		}
	})
	return b
}
