package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection of the load generator. It
// writes each request in one write and reads the response with the
// standard parser, the way wrk-style generators keep their own cost small
// next to the server's (net/http's Client, with its per-request goroutines
// and pooling, costs about as much CPU as the handler it measures).
type conn struct {
	addr, path, host string
	c                net.Conn
	r                *bufio.Reader
	req              []byte
}

func newConn(addr, path string) *conn {
	return &conn{addr: addr, path: path, host: addr}
}

// post sends body and reports whether it was accepted and whether the
// incident was a duplicate. A broken connection is redialled once.
func (c *conn) post(body []byte) (ok, dup bool, err error) {
	for attempt := 0; ; attempt++ {
		ok, dup, err = c.try(body)
		if err == nil || attempt == 1 {
			return ok, dup, err
		}
		c.close()
	}
}

func (c *conn) try(body []byte) (ok, dup bool, err error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return false, false, err
		}
		c.c, c.r = nc, bufio.NewReaderSize(nc, 4096)
	}
	c.req = append(c.req[:0], "POST "...)
	c.req = append(c.req, c.path...)
	c.req = append(c.req, " HTTP/1.1\r\nHost: "...)
	c.req = append(c.req, c.host...)
	c.req = append(c.req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	c.req = strconv.AppendInt(c.req, int64(len(body)), 10)
	c.req = append(c.req, "\r\n\r\n"...)
	c.req = append(c.req, body...)
	_ = c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.c.Write(c.req); err != nil {
		return false, false, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return false, false, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, false, err
	}
	if resp.Close {
		c.close()
	}
	var r struct {
		Incidents []struct {
			Duplicate bool `json:"duplicate"`
		} `json:"incidents"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return false, false, fmt.Errorf("HTTP %d: %w: %q", resp.StatusCode, err, bytes.TrimSpace(data))
	}
	if resp.StatusCode != http.StatusAccepted || len(r.Incidents) != 1 {
		return false, false, fmt.Errorf("HTTP %d: %s", resp.StatusCode, r.Error)
	}
	return true, r.Incidents[0].Duplicate, nil
}

func (c *conn) close() {
	if c.c != nil {
		_ = c.c.Close()
		c.c, c.r = nil, nil
	}
}
