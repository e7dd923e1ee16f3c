package azureblob

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/azureblob/azuritetest"
)

// EnvTestAzurite names a connection string of a running Azurite (or real
// storage account) to test against instead of starting one.
const EnvTestAzurite = "DUMPFLOW_TEST_AZURITE"

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
		bin, err := azuritetest.Find()
		if err != nil {
			azuriteWhy = err.Error()
			return
		}
		srv, err := azuritetest.Start(bin)
		if err != nil {
			azuriteWhy = err.Error()
			return
		}
		azuriteStop, azuriteConn = srv.Stop, srv.ConnectionString
	})
	if azuriteConn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("azurite required in CI: %s", azuriteWhy)
		}
		t.Skipf("azurite not installed: run .ci/azurite.sh install (%s)", azuriteWhy)
	}
	return azuriteConn
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
		if _, err := b.d.c.Delete(ctx, nil); err != nil {
			t.Errorf("deleting container %s: %v", name, err)
		}
	})
	return b
}
