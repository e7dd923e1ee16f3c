package harness

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

// ErrNoAzurite means azurite-blob is neither on PATH nor installed in the
// repository's .cache/azurite (by .ci/azurite.sh install).
var ErrNoAzurite = errors.New("harness: azurite-blob not installed (run .ci/azurite.sh install)")

// AzuriteKey is Azurite's published development account key (no secret).
const AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// Azurite is a running azurite-blob (in memory, on a loopback port).
type Azurite struct {
	// ConnectionString reaches it with the development account.
	ConnectionString string
	cmd              *exec.Cmd
	work             string
	exited           chan struct{}
}

// FindAzurite returns the azurite-blob executable: on PATH, else under
// root/.cache/azurite.
func FindAzurite(root string) (string, error) {
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p, nil
	}
	p := filepath.Join(root, ".cache", "azurite", "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(p); err != nil {
		return "", ErrNoAzurite
	}
	return p, nil
}

// StartAzurite runs bin in memory on a free loopback port and waits until
// it listens.
func StartAzurite(bin string) (*Azurite, error) {
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
	setProcAttr(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(work)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("harness: starting %s: %w", bin, err)
	}
	a := &Azurite{cmd: cmd, work: work, exited: make(chan struct{}),
		ConnectionString: fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/devstoreaccount1;", AzuriteKey, port)}
	ready := make(chan struct{})
	go func() { // owned by Stop, which waits for exited
		defer close(a.exited)
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
		return a, nil
	case <-a.exited:
		a.Stop()
		return nil, fmt.Errorf("harness: %s exited before listening", bin)
	case <-time.After(60 * time.Second):
		a.Stop()
		return nil, fmt.Errorf("harness: %s did not listen within 60 s", bin)
	}
}

// Stop ends Azurite and removes its working directory.
func (a *Azurite) Stop() {
	_ = a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.exited:
	case <-time.After(5 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
	os.RemoveAll(a.work)
}
