package ingest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve runs h on one request and returns the recorded answer.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// record is a stage that appends name to *trace and calls next, or, when
// stop, answers 418 itself.
func record(trace *[]string, name string, stop bool) stage {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*trace = append(*trace, name)
			if stop {
				w.WriteHeader(http.StatusTeapot)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestChainRunsStagesInOrderAndStopsAtAnAnswer(t *testing.T) {
	var trace []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { trace = append(trace, "handler") })
	serve(chain(h, record(&trace, "a", false), record(&trace, "b", false)), httptest.NewRequest("GET", "/", nil))
	if got := strings.Join(trace, ","); got != "a,b,handler" {
		t.Errorf("ran %s, want a,b,handler", got)
	}
	trace = nil
	w := serve(chain(h, record(&trace, "a", false), record(&trace, "b", true), record(&trace, "c", false)), httptest.NewRequest("GET", "/", nil))
	if got := strings.Join(trace, ","); got != "a,b" || w.Code != http.StatusTeapot {
		t.Errorf("ran %s with HTTP %d, want a,b with 418: a stage that answers ends the chain", got, w.Code)
	}
}

func TestExchangeIsAttachedOnce(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if callerOf(r) != "" || bodyOf(r) != nil {
		t.Fatal("a request without an exchange has a caller or body")
	}
	r2, x := exchangeOf(r)
	x.caller, x.body = "someone", []byte("{}")
	r3, x2 := exchangeOf(r2)
	if r3 != r2 || x2 != x {
		t.Error("a second exchangeOf attached a new exchange")
	}
	if callerOf(r3) != "someone" || string(bodyOf(r3)) != "{}" {
		t.Errorf("caller %q body %q, want what was recorded", callerOf(r3), bodyOf(r3))
	}
}
