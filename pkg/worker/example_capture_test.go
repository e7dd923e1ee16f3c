package worker_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// Capture the app's w3wp on every instance of a (simulated) app into a
// local blob directory, as `worker capture` does.
func ExampleEngine_Capture() {
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 2, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	info := srv.Info()

	arm, err := kudu.NewARM(kudu.ARMConfig{BaseURL: info.ARMURL, SCMURLTemplate: info.SCMURLTemplate})
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "example-blobs-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	bucket, err := fileblob.Open(dir)
	if err != nil {
		panic(err)
	}
	defer bucket.Close()

	e, err := worker.New(worker.NewKuduClient(arm, kudu.Config{}, worker.KuduOptions{}), bucket, nil, nil, worker.Config{})
	if err != nil {
		panic(err)
	}
	id, _ := kudu.ParseSiteID(info.Apps[0].ResourceID)
	site := messages.Site{ResourceID: info.Apps[0].ResourceID, SubscriptionID: id.Subscription, ResourceGroup: id.ResourceGroup, Name: id.Name}
	at := time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)
	job, err := worker.ManualJob(site, messages.IncidentID(at, "example"), at, messages.Action{DumpType: messages.DumpMini}, messages.Selector{})
	if err != nil {
		panic(err)
	}
	res, err := e.Capture(context.Background(), job)
	if err != nil {
		panic(err)
	}
	for _, t := range res.Completed.Targets {
		fmt.Println(t.Outcome, t.Process, t.Attempts, t.Bytes > 0, len(t.SHA256))
	}
	// Output:
	// captured w3wp 1 true 64
	// captured w3wp 1 true 64
}
