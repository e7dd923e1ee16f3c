package ingest

import (
	"errors"
	"testing"
)

// FuzzDecodeCaptureRequest: any body is a valid request or ErrBadRequest.
func FuzzDecodeCaptureRequest(f *testing.F) {
	f.Add([]byte(`{"apps":["` + appID + `"],"action":"collect-kill","dump_type":"full","selector":{"names":["w3wp"]},"request_id":"t-1"}`))
	f.Add([]byte(`{"tags":{"a":"b"},"tag_subscriptions":["s"]}`))
	f.Add([]byte(`{"apps":["` + appID + `"],"series":{"count":3,"interval_seconds":10}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCaptureRequest(data)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		if c.Targets.Empty() {
			t.Fatal("accepted a request without targets")
		}
		if _, err := c.ActionSpec.Message(); err != nil {
			t.Fatalf("accepted an invalid action: %v", err)
		}
	})
}
