// Package azuritetest finds and runs the Azure Blob emulator (azurite-blob) for
// tests: in memory, on a free loopback port, ended with its process group.
// .ci/azurite.sh installs it under the repository's .cache/azurite.
package azuritetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Key is the well-known key of Azurite's devstoreaccount1.
const Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// ErrNotInstalled is wrapped by Find when there is no azurite-blob.
var ErrNotInstalled = errors.New("azuritetest: azurite-blob not installed (run .ci/azurite.sh install)")

// Find looks for azurite-blob on PATH, then in the .cache/azurite of the
// module that holds the working directory.
func Find() (string, error) {
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
				return "", fmt.Errorf("%w: not on PATH nor at %s", ErrNotInstalled, p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: not on PATH, and no go.mod above %s", ErrNotInstalled, dir)
		}
		dir = parent
	}
}

// Server is a running Azurite.
type Server struct {
	// ConnectionString reaches its blob endpoint as devstoreaccount1.
	ConnectionString string
	cmd              *exec.Cmd
	work             string
	exited           chan struct{}
}

// Start runs bin in memory on a free loopback port and returns once it
// listens. The caller must Stop it.
func Start(bin string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	work, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--loose")
	cmd.Dir = work
	cmd.Stderr = os.Stderr
	setProcAttr(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(work)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("azuritetest: starting %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, work: work, exited: make(chan struct{}),
		ConnectionString: fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/devstoreaccount1;", Key, port)}
	ready := make(chan struct{})
	go func() { // owned by Stop, which waits for exited
		defer close(s.exited)
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
		return s, nil
	case <-s.exited:
		s.Stop()
		return nil, fmt.Errorf("azuritetest: %s exited before listening", bin)
	case <-time.After(60 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("azuritetest: %s did not listen within 60 s", bin)
	}
}

// Stop ends Azurite (asked first, killed after 5 s) and removes its
// working directory.
func (s *Server) Stop() {
	terminate(s.cmd)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		kill(s.cmd)
		<-s.exited
	}
	os.RemoveAll(s.work)
}
