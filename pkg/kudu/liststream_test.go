package kudu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bigProcessList is a ~30 MB ARM-form process list (under the 32 MiB body
// cap): entries × one process each carrying a long threads array that the
// short list never needs.
func bigProcessList(entries, threadsEach int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"value":[`)
	for i := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a/instances/i/processes/%d","properties":{"id":%d,"name":"w3wp","machineName":"DW1","href":"https://a.scm/api/processes/%d","user_name":"IIS APPPOOL\\a","threads":[`, i, i+1, i+1)
		for j := range threadsEach {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":%d,"href":"https://a.scm/api/processes/%d/threads/%d","state":"Wait"}`, j, i+1, j)
		}
		b.WriteString(`]}}`)
	}
	b.WriteString(`],"nextLink":null}`)
	return b.Bytes()
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The attack of issue 22 point 6: a 30 MB process list took one listing to
// 1.14 GB (read whole, split, every entry decoded in full). It is now
// decoded as a stream keeping only the short fields: what is allocated is a
// small multiple of one entry, not of the list.
func TestLargeProcessListIsStreamed(t *testing.T) {
	body := bigProcessList(3000, 130)
	if len(body) < 28<<20 || len(body) > maxJSONBody {
		t.Fatalf("list of %d bytes, want about 30 MB", len(body))
	}
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes": func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body)
	}})
	c := newTestClient(t, srv, func(c *Config) { c.RequestTimeout = time.Minute }) // slow under -race
	var ps []Process
	var err error
	n := allocated(func() { ps, err = c.ListProcesses(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3000 || ps[2999].ID != 3000 || ps[0].Name != "w3wp" || ps[0].MachineName != "DW1" {
		t.Fatalf("got %d processes, last %+v", len(ps), ps[len(ps)-1])
	}
	t.Logf("a %.1f MB list: %.1f MB allocated", float64(len(body))/(1<<20), float64(n)/(1<<20))
	if n > 24<<20 {
		t.Fatalf("listing a %.1f MB list allocated %.1f MB; want under 24 MB (streamed, short fields only)",
			float64(len(body))/(1<<20), float64(n)/(1<<20))
	}
}

func TestProcessListOverTheEntryCapIsRefused(t *testing.T) {
	body := bigProcessList(maxListedProcesses+1, 0)
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes": jsonReply(200, string(body))})
	_, err := newTestClient(t, srv, nil).ListProcesses(context.Background())
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("got %v, want a DecodeError naming the cap", err)
	}
}

func TestProcessListForms(t *testing.T) {
	for name, body := range map[string]string{
		"plain":    `[{"id":7,"name":"w3wp","machineName":"M","href":"h","user_name":"u","threads":[{"id":1}]}]`,
		"arm":      `{"value":[{"id":"/x/processes/7","name":"7","properties":{"id":7,"name":"w3wp","machineName":"M"}}],"nextLink":null}`,
		"arm-late": `{"nextLink":{"a":[1,2,{"b":3}]},"value":[{"properties":{"identifier":7,"name":"w3wp","machineName":"M"}}]}`,
	} {
		srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes": jsonReply(200, body)})
		ps, err := newTestClient(t, srv, nil).ListProcesses(context.Background())
		if err != nil || len(ps) != 1 || ps[0].ID != 7 || ps[0].Name != "w3wp" {
			t.Errorf("%s: %+v %v", name, ps, err)
		}
	}
	for name, body := range map[string]string{
		"object without value": `{"nextLink":null}`,
		"number":               `42`,
		"value not array":      `{"value":{}}`,
		"entry without id":     `[{"name":"w3wp"}]`,
		"truncated":            `[{"id":1},`,
	} {
		srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes": jsonReply(200, body)})
		_, err := newTestClient(t, srv, nil).ListProcesses(context.Background())
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: got %v, want a DecodeError", name, err)
		}
	}
}

// FuzzDecodeProcessList feeds arbitrary bytes to the streaming process list
// decoder: an error or processes, never a panic, never more than the cap.
func FuzzDecodeProcessList(f *testing.F) {
	for _, s := range []string{docList, `{"value":[]}`, `[{"id":1}]`, `{"nextLink":[1,{"a":2}],"value":[{"properties":{"identifier":3}}]}`, `[`, `{"value":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := decodeList(bytes.NewReader(data), 8, func(i int, dec *json.Decoder) error {
			var sp shortProcess
			if err := dec.Decode(&sp); err != nil {
				return err
			}
			_, _ = sp.toProcess()
			n++
			return nil
		})
		if n > 8 {
			t.Fatalf("%d entries decoded past the cap of 8 (err %v)", n, err)
		}
	})
}
