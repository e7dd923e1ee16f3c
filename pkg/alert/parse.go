package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MaxPayloadSize bounds what Parse and ParseAs accept.
const MaxPayloadSize = 1 << 20

var (
	// ErrMalformed is wrapped by errors about a payload that is not one JSON
	// object (not JSON, trailing data, too large, not an object).
	ErrMalformed = errors.New("alert: malformed payload")
	// ErrUnknownSource is wrapped when ParseAs is given a source name it
	// does not know.
	ErrUnknownSource = errors.New("alert: unknown source")
)

// UnknownShapeError reports a payload that matches no known schema.
type UnknownShapeError struct {
	// SchemaID is the payload's schemaId, when it had one.
	SchemaID string
	// Tried lists the sources whose shapes were checked.
	Tried []string
}

func (e *UnknownShapeError) Error() string {
	if e.SchemaID != "" {
		return fmt.Sprintf("alert: unknown schemaId %q (tried %s)", e.SchemaID, strings.Join(e.Tried, ", "))
	}
	return "alert: payload matches no known alert schema (tried " + strings.Join(e.Tried, ", ") + ")"
}

// FieldError reports a required field that is missing or invalid in a
// payload of a known source.
type FieldError struct {
	Source string
	Field  string // JSON path, e.g. "data.essentials.firedDateTime"
	Msg    string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("alert: %s payload: field %s: %s", e.Source, e.Field, e.Msg)
}

// parser parses one source's payload.
type parser func(data []byte) (*Alert, error)

var parsers = map[string]parser{
	SourceAzureCommon:       parseAzureCommon,
	SourceAzureMetricLegacy: parseMetricLegacy,
	SourceAzureActivityLog:  parseActivityLog,
	SourceAzureClassic:      parseClassic,
	SourceAzureLogLegacy:    parseLogLegacy,
	SourceAlertmanager:      parseAlertmanager,
	SourceGrafana:           parseGrafana,
}

// aliases are other accepted spellings of source names in ParseAs.
var aliases = map[string]string{
	"azure-common":        SourceAzureCommon,
	"azure-monitor":       SourceAzureCommon,
	"common":              SourceAzureCommon,
	"azure-metric-legacy": SourceAzureMetricLegacy,
	"azure-activitylog":   SourceAzureActivityLog,
	"activity-log":        SourceAzureActivityLog,
	"classic":             SourceAzureClassic,
	"azure-log-legacy":    SourceAzureLogLegacy,
	"prometheus":          SourceAlertmanager,
}

// Sources returns the canonical source names, sorted.
func Sources() []string {
	out := make([]string, 0, len(parsers))
	for s := range parsers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// CanonicalSource returns the canonical name of source (which may be an
// alias, in any case) and whether it is known.
func CanonicalSource(source string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(source))
	if _, ok := parsers[s]; ok {
		return s, true
	}
	if c, ok := aliases[s]; ok {
		return c, true
	}
	return "", false
}

// ParseAs parses data as a payload of the named source (canonical name or
// alias, case-insensitive).
func ParseAs(source string, data []byte) (*Alert, error) {
	c, ok := CanonicalSource(source)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownSource, source, strings.Join(Sources(), ", "))
	}
	if i := skipSpace(data, 0); len(data) > MaxPayloadSize || i >= len(data) || data[i] != '{' {
		return nil, checkObject(data) // not nil: too large, not JSON, or not an object
	}
	return parseChecked(c, data)
}

// Parse detects the payload's schema from its shape (SCHEMAS.md, "Telling
// the payloads apart") and parses it.
//
// The payload is decoded once: detection only scans the top level's
// structure (scan.go), and the parser's decode validates the whole text.
func Parse(data []byte) (*Alert, error) {
	if len(data) > MaxPayloadSize {
		return nil, checkObject(data)
	}
	s, ok := readShape(data)
	if !ok {
		if err := checkObject(data); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed) // unreachable: valid objects scan
	}
	src, err := s.source()
	if err != nil {
		// The scan did not validate: invalid JSON is malformed, not of
		// an unknown shape.
		if verr := checkObject(data); verr != nil {
			return nil, verr
		}
		return nil, err
	}
	return parseChecked(src, data)
}

// parseChecked runs src's parser on data, which has not been validated
// yet. Every parser decodes all of data first (encoding/json validates
// before it decodes), so invalid JSON fails there; that failure is
// reported as checkObject words it, the same for every source.
func parseChecked(src string, data []byte) (*Alert, error) {
	a, err := parsers[src](data)
	if err != nil && errors.Is(err, ErrMalformed) {
		if verr := checkObject(data); verr != nil {
			return nil, verr
		}
	}
	return a, err
}

// Detect returns the source whose shape data has, or an *UnknownShapeError
// (or an error wrapping ErrMalformed when data is not one JSON object).
func Detect(data []byte) (string, error) {
	if err := checkObject(data); err != nil {
		return "", err
	}
	s, ok := readShape(data)
	if !ok {
		return "", fmt.Errorf("%w: not a JSON object", ErrMalformed) // unreachable: valid objects scan
	}
	return s.source()
}

// checkSingleValue rejects data that is not one JSON value.
func checkSingleValue(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON value", ErrMalformed)
	}
	return nil
}

// decode unmarshals a payload of a known source into v, reporting type
// mismatches as *FieldError.
// dataStatus is data.status, which every payload that wraps its alert in
// {"data": {…}} carries.
type dataStatus struct {
	Status flexString `json:"status"`
}

func (d *dataStatus) status() string { return string(d.Status) }

// decodeData decodes a payload that wraps its alert in {"data": {…}}:
// data is required, then check reports any other missing field, then
// data.status is normalized (in that order, so a payload missing several
// fields is refused for the outermost).
func decodeData[D any, PD interface {
	*D
	status() string
}](source string, payload []byte, check func(*D) error) (*D, string, error) {
	var p struct {
		Data PD `json:"data"`
	}
	if err := decode(source, payload, &p); err != nil {
		return nil, "", err
	}
	if p.Data == nil {
		return nil, "", &FieldError{Source: source, Field: "data", Msg: "required"}
	}
	if err := check(p.Data); err != nil {
		return nil, "", err
	}
	status, err := normStatus(source, "data.status", p.Data.status())
	if err != nil {
		return nil, "", err
	}
	return p.Data, status, nil
}

func decode(source string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &FieldError{Source: source, Field: te.Field, Msg: fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)}
		}
		return fmt.Errorf("%w: %s: %v", ErrMalformed, source, err)
	}
	return nil
}

// normStatus maps every sender's status word to StatusFired or
// StatusResolved.
func normStatus(source, field, s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fired", "activated", "firing", "active", "alerting":
		return StatusFired, nil
	case "resolved", "deactivated", "ok", "inactive":
		return StatusResolved, nil
	case "":
		return "", &FieldError{Source: source, Field: field, Msg: "required"}
	}
	return "", &FieldError{Source: source, Field: field, Msg: fmt.Sprintf("unknown status %q", s)}
}

// firedTime parses a required fire time.
func firedTime(source, field, s string) (stamp, error) {
	if s == "" {
		return stamp{}, &FieldError{Source: source, Field: field, Msg: "required"}
	}
	t, ok := parseTime(s)
	if !ok {
		return stamp{}, &FieldError{Source: source, Field: field, Msg: fmt.Sprintf("%q is not a timestamp", s)}
	}
	return stamp{raw: s, t: t}, nil
}
