package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/azureblob/azuritetest"
	"github.com/dumpflow/dumpflow/test/harness"
)

var (
	azuriteOnce sync.Once
	azurite     *azuritetest.Server
	azuriteWhy  error
)

// stopAzurite stops the Azurite the tests started, if any; TestMain calls
// it once every test has run (a test's own cleanup would stop it for the
// next run of -count).
func stopAzurite() {
	if azurite != nil {
		azurite.Stop()
	}
}

// requireAzurite returns a running Azurite: DUMPFLOW_TEST_AZURITE's
// connection string, else one started from PATH or .cache/azurite. It
// skips the test when neither exists, except with CI=true.
func requireAzurite(t *testing.T) string {
	t.Helper()
	if cs := os.Getenv("DUMPFLOW_TEST_AZURITE"); cs != "" {
		return cs
	}
	azuriteOnce.Do(func() {
		bin, err := azuritetest.Find()
		if err != nil {
			azuriteWhy = err
			return
		}
		azurite, azuriteWhy = azuritetest.Start(bin)
	})
	if azurite == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Azurite is required in CI: %v", azuriteWhy)
		}
		t.Skipf("Azurite not available (%v); run .ci/azurite.sh install", azuriteWhy)
	}
	return azurite.ConnectionString
}

// TestPipelineOnAzurite runs an alert through the services with the blob
// store on Azurite (the azureblob backend, as on Azure).
func TestPipelineOnAzurite(t *testing.T) {
	if buildErr != nil {
		t.Fatalf("building the services: %v", buildErr)
	}
	conn := requireAzurite(t)
	container := fmt.Sprintf("e2e%d", time.Now().UnixNano())
	e := startEnv(t, simConfig("shop", "checkout"), "https://devstoreaccount1.blob.core.windows.net/"+container,
		[]string{"DUMPFLOW_STORAGE_CONNECTION_STRING=" + conn})
	initial := e.sim.Info()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, err := e.p.OpenBucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var targets []string
	for _, a := range e.info.Apps {
		targets = append(targets, a.ResourceID)
	}
	alert, err := harness.MetricAlert{Rule: "High memory everywhere", SubscriptionID: e.sub, RuleGroup: "rg-mon",
		AlertGUID: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", Targets: targets, FiredAt: time.Now()}.CommonSchema()
	if err != nil {
		t.Fatal(err)
	}
	ans, err := e.p.Client.PostAlert(ctx, alert)
	if err != nil {
		t.Fatal(err)
	}
	inc := waitReport(ctx, t, e, b, ans.IncidentID)
	if inc.Counts.Captured != 4 || inc.Counts.Analyzed != 4 {
		t.Errorf("report counts %+v, want 4 captured and analyzed", inc.Counts)
	}
	s := e.stopAndCheck(t, initial)
	if s.Captured != 4 {
		t.Errorf("check: %d captured, want 4 (%+v)", s.Captured, s)
	}
}
