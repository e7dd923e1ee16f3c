package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// bodyBuffers recycles request body buffers: a body is read whole (at
// most Config.MaxBodyBytes) and only lives while its handler runs.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for reuse; a rare large body's
// buffer is left to the garbage collector rather than held.
const maxPooledBody = 64 << 10

// readBody reads the whole body, of at most limit bytes, for the handler
// (bodyOf): a larger one is refused with 413, an empty or unreadable one
// with 400. The body's buffer goes back to a pool when the handler
// returns.
func readBody(limit int64) stage {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			buf := bodyBuffers.Get().(*bytes.Buffer)
			buf.Reset()
			defer func() {
				if buf.Cap() <= maxPooledBody {
					bodyBuffers.Put(buf)
				}
			}()
			_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", limit))
				return
			case err != nil:
				writeError(w, http.StatusBadRequest, "reading request body: "+err.Error())
				return
			case len(bytes.TrimSpace(buf.Bytes())) == 0:
				writeError(w, http.StatusBadRequest, "empty request body")
				return
			}
			r, x := exchangeOf(r)
			x.body = buf.Bytes()
			defer func() { x.body = nil }()
			next.ServeHTTP(w, r)
		})
	}
}
