package servicebus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus/admin"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/queuetest"
)

// EnvTestServiceBus enables the live conformance suite. Its value is
// either a connection string ("Endpoint=sb://NS.servicebus.windows.net/;
// SharedAccessKeyName=…;SharedAccessKey=…", with Manage rights) or a
// namespace host ("NS.servicebus.windows.net"), used with
// DefaultAzureCredential (the identity needs the "Azure Service Bus Data
// Owner" role). The suite creates and deletes one queue per case.
const EnvTestServiceBus = "DUMPFLOW_TEST_SERVICEBUS"

// Service Bus's lower bounds for the settings the suite asks for.
const (
	minLockDuration = 5 * time.Second
	minDedupeWindow = 20 * time.Second
)

type liveHarness struct {
	newClient func() (*azservicebus.Client, error)
	admin     *admin.Client
}

func newLiveHarness(t *testing.T, env string) *liveHarness {
	if strings.Contains(env, "Endpoint=") {
		adm, err := admin.NewClientFromConnectionString(env, nil)
		if err != nil {
			t.Fatalf("admin client: %v", err)
		}
		return &liveHarness{admin: adm, newClient: func() (*azservicebus.Client, error) {
			return azservicebus.NewClientFromConnectionString(env, nil)
		}}
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		t.Fatalf("credential: %v", err)
	}
	adm, err := admin.NewClient(env, cred, nil)
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	return &liveHarness{admin: adm, newClient: func() (*azservicebus.Client, error) {
		return azservicebus.NewClient(env, cred, nil)
	}}
}

// isoSeconds formats d, rounded up to whole seconds, as an ISO 8601
// duration.
func isoSeconds(d time.Duration) string {
	return fmt.Sprintf("PT%dS", int64(math.Ceil(d.Seconds())))
}

func (h *liveHarness) Open(t *testing.T, want queuetest.Config) (queue.Queue, queuetest.Config) {
	got := want
	got.LockDuration = max(want.LockDuration, minLockDuration).Round(time.Second)
	got.DedupeWindow = max(want.DedupeWindow, minDedupeWindow).Round(time.Second)
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := "dumpflow-test-" + hex.EncodeToString(r[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := h.admin.CreateQueue(ctx, name, &admin.CreateQueueOptions{Properties: &admin.QueueProperties{
		LockDuration:                        ptr(isoSeconds(got.LockDuration)),
		MaxDeliveryCount:                    ptr(int32(got.MaxDeliveries)),
		RequiresDuplicateDetection:          ptr(true),
		DuplicateDetectionHistoryTimeWindow: ptr(isoSeconds(got.DedupeWindow)),
	}})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := h.admin.DeleteQueue(ctx, name, nil); err != nil {
			t.Logf("delete queue %s: %v", name, err)
		}
	})
	return h.open(t, name), got
}

func (h *liveHarness) open(t *testing.T, name string) *Queue {
	client, err := h.newClient()
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { _ = client.Close(context.Background()) })
	q, err := New(client, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

// Reopen closes q's links without settling and connects anew, as a
// restarted process would.
func (h *liveHarness) Reopen(t *testing.T, q queue.Queue) queue.Queue {
	sq := q.(*Queue)
	_ = sq.Close()
	return h.open(t, sq.Name())
}

// TestLiveConformance runs the queue conformance suite against a real
// namespace: DUMPFLOW_TEST_SERVICEBUS=<connection string or NS host>
// go test -run TestLiveConformance ./pkg/queue/servicebus/
func TestLiveConformance(t *testing.T) {
	env := os.Getenv(EnvTestServiceBus)
	if env == "" {
		t.Skip(EnvTestServiceBus + " not set (a connection string, or NAMESPACE.servicebus.windows.net for DefaultAzureCredential): live Service Bus suite skipped")
	}
	queuetest.Run(t, newLiveHarness(t, env))
}
