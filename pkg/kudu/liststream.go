package kudu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxListedProcesses bounds the entries of one instance's process list. An
// App Service instance runs tens of processes; a list longer than this is
// refused rather than held in memory.
const maxListedProcesses = 4096

// shortProcess is what ListProcesses keeps of one list entry: the short
// form's fields, plain or in an ARM envelope ("properties"). Everything else
// in an entry is skipped by the decoder, never held.
type shortProcess struct {
	ID          json.RawMessage `json:"id"` // a pid, or an ARM resource path in an envelope
	Identifier  *int            `json:"identifier"`
	Name        string          `json:"name"`
	MachineName string          `json:"machineName"`
	Href        string          `json:"href"`
	UserName    string          `json:"user_name"`
	SCM         bool            `json:"is_scm_site"`
	WebJob      bool            `json:"is_webjob"`
	Properties  *shortProcess   `json:"properties"`
}

func (s *shortProcess) toProcess() (*Process, error) {
	if s.Properties != nil {
		return s.Properties.toProcess()
	}
	w := wireProcess{Identifier: s.Identifier, Name: s.Name, MachineName: s.MachineName, Href: s.Href,
		UserName: s.UserName, SCM: s.SCM, WebJob: s.WebJob}
	var id int
	if len(s.ID) > 0 && json.Unmarshal(s.ID, &id) == nil {
		w.ID = &id
	}
	return w.toProcess()
}

// decodeList streams a JSON array, or ARM's {"value": […]} object, from r,
// calling each with the decoder positioned before every element; each must
// consume exactly one value. Memory stays bounded by the largest element,
// not the list. At most max elements are accepted.
func decodeList(r io.Reader, max int, each func(i int, dec *json.Decoder) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		return decodeElements(dec, max, each)
	case json.Delim('{'):
	default:
		return errors.New(`expected a JSON array or an object with "value"`)
	}
	found := false
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		if k == "value" && !found {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			if t != json.Delim('[') {
				return errors.New(`"value" is not an array`)
			}
			if err := decodeElements(dec, max, each); err != nil {
				return err
			}
			found = true
			continue
		}
		if err := skipValue(dec); err != nil {
			return err
		}
	}
	if !found {
		return errors.New(`expected a JSON array or an object with "value"`)
	}
	return nil
}

// decodeElements reads the elements of an array whose '[' was read, and
// its ']'.
func decodeElements(dec *json.Decoder, max int, each func(int, *json.Decoder) error) error {
	for i := 0; dec.More(); i++ {
		if i >= max {
			return fmt.Errorf("more than %d entries", max)
		}
		if err := each(i, dec); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ']'
	return err
}

// skipValue reads and drops one value token by token, so a large value
// that is not needed is never held whole.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// limitedJSON reads at most maxJSONBody bytes of r and fails past that,
// rather than silently truncating.
type limitedJSON struct {
	r io.Reader
	n int64
}

func (l *limitedJSON) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("JSON body larger than %d bytes", maxJSONBody)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
