package servicebus

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url, name, host, clientID string
	}{
		{"sb://ns.servicebus.windows.net", "captures", "ns.servicebus.windows.net", ""},
		{"sb://ns.servicebus.windows.net/", "captures", "ns.servicebus.windows.net", ""},
		{"sb://ns.servicebus.windows.net/captures", "captures", "ns.servicebus.windows.net", ""},
		{"sb://ns.servicebus.windows.net?client_id=abc", "analysis", "ns.servicebus.windows.net", "abc"},
	} {
		u, _ := url.Parse(tc.url)
		host, id, err := parseURL(u, tc.name)
		if err != nil || host != tc.host || id != tc.clientID {
			t.Errorf("%s: %q %q %v", tc.url, host, id, err)
		}
	}
	for _, bad := range []struct{ url, name string }{
		{"https://ns.servicebus.windows.net", "q"},
		{"sb:///q", "q"},
		{"sb://user:pw@ns.servicebus.windows.net", "q"},
		{"sb://ns.servicebus.windows.net:5671", "q"},
		{"sb://ns.servicebus.windows.net", ""},
		{"sb://ns.servicebus.windows.net/analysis", "captures"},
		{"sb://ns.servicebus.windows.net?colour=blue", "q"},
		{"sb://ns.servicebus.windows.net?client_id=", "q"},
	} {
		u, err := url.Parse(bad.url)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := parseURL(u, bad.name); err == nil {
			t.Errorf("%s (name %q) accepted", bad.url, bad.name)
		}
	}
	if _, _, err := parseURL(nil, "q"); err == nil {
		t.Error("nil URL accepted")
	}
}

const fakeConnString = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0"

func TestOpenURLConnectionStringMustMatchHost(t *testing.T) {
	t.Setenv(EnvConnectionString, fakeConnString)
	u, _ := url.Parse("sb://other.servicebus.windows.net")
	_, err := OpenURL(context.Background(), u, "captures")
	if err == nil || !strings.Contains(err.Error(), "other.servicebus.windows.net") {
		t.Fatalf("OpenURL with a connection string for another host: %v", err)
	}
	if strings.Contains(err.Error(), "c2VjcmV0") {
		t.Error("error message leaks the shared access key")
	}
	u, _ = url.Parse("sb://ns.servicebus.windows.net?client_id=abc")
	if _, err := OpenURL(context.Background(), u, "captures"); err == nil {
		t.Error("connection string and client_id both accepted")
	}
}

func TestOpenURLWithConnectionString(t *testing.T) {
	t.Setenv(EnvConnectionString, fakeConnString)
	u, _ := url.Parse("sb://NS.servicebus.windows.net")
	q, err := OpenURL(context.Background(), u, "captures")
	if err != nil {
		t.Fatal(err)
	}
	if q.Name() != "captures" || q.closeClient == nil {
		t.Errorf("opened %q, owns client %v", q.Name(), q.closeClient != nil)
	}
	// Nothing connected yet (the SDK connects lazily), so Close is local.
	if err := q.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestConnectionStringHost(t *testing.T) {
	if h, err := connectionStringHost(fakeConnString); err != nil || h != "ns.servicebus.windows.net" {
		t.Errorf("host %q, %v", h, err)
	}
	for _, bad := range []string{"SharedAccessKey=x", "Endpoint=::bad", "Endpoint="} {
		if _, err := connectionStringHost(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
