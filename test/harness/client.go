package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/dumpflow/dumpflow/pkg/ingest"
)

// Client calls ingest's HTTP API with the webhook token.
type Client struct {
	// BaseURL is ingest's address, e.g. http://127.0.0.1:41234.
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// Answer is ingest's answer to an alert or a capture request.
type Answer struct {
	// Code is the HTTP status.
	Code       int    `json:"-"`
	Status     string `json:"status"`
	IncidentID string `json:"incident_id"`
	StatusURL  string `json:"status_url"`
	Jobs       int    `json:"jobs"`
	Duplicate  bool   `json:"duplicate"`
	Reason     string `json:"reason"`
	Error      string `json:"error"`
	// Incidents are an alert's incidents (one per event).
	Incidents []struct {
		IncidentID string `json:"incident_id"`
		Jobs       int    `json:"jobs"`
		Duplicate  bool   `json:"duplicate"`
	} `json:"incidents"`
}

// ErrRefused means ingest did not accept a trigger (an answer other than
// 202 with an incident id).
var ErrRefused = errors.New("harness: trigger not accepted")

// PostAlert posts an alert payload to /v1/alerts and expects 202.
func (c *Client) PostAlert(ctx context.Context, payload []byte) (*Answer, error) {
	return c.post(ctx, "/v1/alerts", payload)
}

// PostCapture posts a manual or bulk capture request to /v1/captures and
// expects 202.
func (c *Client) PostCapture(ctx context.Context, req ingest.CaptureRequest) (*Answer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("harness: capture request: %w", err)
	}
	return c.post(ctx, "/v1/captures", body)
}

func (c *Client) post(ctx context.Context, path string, body []byte) (*Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Dumpflow-Token", c.Token)
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("harness: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("harness: POST %s: %w", path, err)
	}
	a := &Answer{Code: resp.StatusCode}
	if err := json.Unmarshal(data, a); err != nil {
		return a, fmt.Errorf("harness: POST %s: %d with a body that is not JSON: %q", path, resp.StatusCode, data)
	}
	if a.Jobs == 0 {
		for _, in := range a.Incidents {
			if in.IncidentID == a.IncidentID {
				a.Jobs, a.Duplicate = in.Jobs, in.Duplicate
			}
		}
	}
	if resp.StatusCode != http.StatusAccepted || a.IncidentID == "" {
		return a, fmt.Errorf("%w: POST %s: %d %s %s %s", ErrRefused, path, resp.StatusCode, a.Status, a.Error, a.Reason)
	}
	return a, nil
}

// Incident returns GET /v1/incidents/{id}.
func (c *Client) Incident(ctx context.Context, id string) (*ingest.IncidentStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/v1/incidents/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Dumpflow-Token", c.Token)
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("harness: incident %s: %w", id, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("harness: incident %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("harness: incident %s: %d %s", id, resp.StatusCode, bytes.TrimSpace(data))
	}
	var st ingest.IncidentStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("harness: incident %s: %w", id, err)
	}
	return &st, nil
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}
