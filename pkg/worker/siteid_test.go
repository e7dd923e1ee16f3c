package worker

import (
	"context"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// The attack of issue 22 point 3: four collect-kill jobs naming app1's real
// resource id under the names fake0…fake3, so that each got its own kill
// budget and lock (the keys came from the name) and app1 was killed past
// its budget. A job whose name disagrees with its resource id is now
// refused as permanent before anything is listed, dumped or killed.
func TestJobNamingAnotherAppsResourceIDIsRefused(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app1", 1)
	for i := range 4 {
		k.addSite("fake"+string(rune('0'+i)), 1)
	}
	e := newTestEngine(t, k, newMemBucket(), &memPublisher{}, fastConfig())
	for i := range 4 {
		fake := "fake" + string(rune('0'+i))
		job := testJob(fake, messages.Action{Kill: true}, messages.Selector{})
		body := string(mustEncode(t, job))
		// Point the job at app1's resource id, keeping the fake name.
		body = strings.ReplaceAll(body, "/sites/"+fake+`"`, `/sites/app1"`)
		err := e.Handler().Handle(context.Background(), &queue.Received{Message: queue.Message{ID: "m", Body: []byte(body)}})
		if !queue.IsPermanent(err) || !strings.Contains(err.Error(), "disagrees with resource_id") {
			t.Fatalf("job %s naming app1's resource id: err %v, want a permanent error naming the disagreement", fake, err)
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.killCalls) != 0 || len(k.dumpCalls) != 0 {
		t.Fatalf("refused jobs still dumped %v and killed %v", k.dumpCalls, k.killCalls)
	}
}
