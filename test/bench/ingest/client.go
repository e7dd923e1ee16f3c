package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection of the load generator. It
// writes each request in one write and reads the response with a minimal
// parser, the way wrk-style generators keep their own cost small next to
// the server's (net/http's Client, with its per-request goroutines and
// pooling, costs about as much CPU as the handler it measures; its
// response parser and a JSON decode of the answer cost a third of it).
type conn struct {
	addr, path, host string
	c                net.Conn
	r                *bufio.Reader
	req, body        []byte
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
	status, data, closing, err := c.readResponse()
	if err != nil {
		return false, false, err
	}
	if closing {
		c.close()
	}
	if status != http.StatusAccepted {
		var r struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &r)
		return false, false, fmt.Errorf("HTTP %d: %s", status, cmp.Or(r.Error, string(bytes.TrimSpace(data))))
	}
	// An answer with its status is all a wrk-style generator checks; the
	// jobs are counted in the queue after the run. The duplicate flag is
	// found without decoding the body, which would cost the load
	// generator about as much CPU as the server's HTTP handling.
	return true, bytes.Contains(data, []byte(`"duplicate":true`)), nil
}

// readResponse reads one HTTP/1.1 response: its status, its body (into a
// buffer reused by the next response), and whether the server closes the
// connection. Bodies are sized by Content-Length or chunked.
func (c *conn) readResponse() (status int, body []byte, closing bool, err error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, false, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		line, err = c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, err
		}
		h := bytes.TrimRight(line, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, nil, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	c.body = c.body[:0]
	switch {
	case chunked:
		for {
			line, err = c.r.ReadSlice('\n')
			if err != nil {
				return 0, nil, false, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimRight(line, "\r\n")), 16, 32)
			if err != nil {
				return 0, nil, false, fmt.Errorf("bad chunk size %q", line)
			}
			if size == 0 {
				_, err = c.r.Discard(2) // the empty trailer's CRLF
				return status, c.body, closing, err
			}
			if c.body, err = readN(c.r, c.body, int(size)); err != nil {
				return 0, nil, false, err
			}
			if _, err = c.r.Discard(2); err != nil {
				return 0, nil, false, err
			}
		}
	case length >= 0:
		c.body, err = readN(c.r, c.body, length)
		return status, c.body, closing, err
	default:
		return 0, nil, false, errors.New("response without Content-Length or chunked body")
	}
}

// readN appends n bytes read from r to b.
func readN(r *bufio.Reader, b []byte, n int) ([]byte, error) {
	b = slices.Grow(b, n)
	_, err := io.ReadFull(r, b[len(b):len(b)+n])
	return b[:len(b)+n], err
}

func (c *conn) close() {
	if c.c != nil {
		_ = c.c.Close()
		c.c, c.r = nil, nil
	}
}
