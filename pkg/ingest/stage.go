package ingest

import (
	"context"
	"net/http"
)

// A stage is one step of the request path, in the shape of alertmanager's
// notify stages: it does its one check or record and calls next, or
// answers the request itself and stops there. Each stage lives in its own
// *_stage.go file with its own test.
type stage func(next http.Handler) http.Handler

// chain returns h behind stages, the first one outermost: a request meets
// the stages in the order given.
func chain(h http.Handler, stages ...stage) http.Handler {
	for i := len(stages) - 1; i >= 0; i-- {
		h = stages[i](h)
	}
	return h
}

// exchange is what the stages learn about one request, for the stages
// after them and the handler: the caller's identity (authenticate) and the
// body (readBody). It is attached to the request's context once, by the
// first stage that needs it, so the chain copies the request once.
type exchange struct {
	caller string
	// body is valid until the handler returns: its buffer is then reused
	// for another request, so a handler copies what it keeps (decoding
	// JSON copies).
	body []byte
}

type exchangeKey struct{}

// exchangeOf returns r's exchange, attaching a new one (and returning the
// request that carries it) when r has none yet.
func exchangeOf(r *http.Request) (*http.Request, *exchange) {
	if x, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		return r, x
	}
	x := &exchange{}
	return r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)), x
}

// callerOf is the identity authenticate found for r ("" before it ran).
func callerOf(r *http.Request) string {
	if x, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		return x.caller
	}
	return ""
}

// bodyOf is the body readBody read for r (nil before it ran); see
// exchange.body for how long it is valid.
func bodyOf(r *http.Request) []byte {
	if x, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		return x.body
	}
	return nil
}
