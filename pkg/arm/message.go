package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// maxMessage bounds the message Describe returns.
const maxMessage = 300

// Describe returns ARM's error code and message of a failed answer in one
// line each (ResponseError.Error() spans many lines): the code and message
// of the {"error":{"code","message"}} body, else azcore's ErrorCode and the
// body's text, cut to 300 bytes.
func Describe(re *azcore.ResponseError) (code, message string) {
	code = re.ErrorCode
	if re.RawResponse == nil {
		return code, ""
	}
	body, err := runtime.Payload(re.RawResponse)
	if err != nil {
		return code, ""
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		if e.Error.Code != "" {
			code = e.Error.Code
		}
		message = e.Error.Message
	} else {
		message = strings.TrimSpace(string(body))
	}
	message = strings.Join(strings.Fields(message), " ")
	if len(message) > maxMessage {
		message = message[:maxMessage]
	}
	return code, message
}

// Error is a failed ARM call: the operation and, in one line, ARM's
// answer (code: message, from Describe). Err is the
// *azcore.ResponseError.
type Error struct {
	Op         string
	StatusCode int
	Msg        string
	Err        error
}

func (e *Error) Error() string {
	return fmt.Sprintf("arm: %s: HTTP %d: %s", e.Op, e.StatusCode, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Wrap gives a failed call its operation: an *Error for a failed answer
// (an *azcore.ResponseError), else "arm: op: err" wrapping err.
func Wrap(op string, err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("arm: %s: %w", op, err)
	}
	code, msg := Describe(re)
	if code != "" {
		msg = code + ": " + msg
	}
	return &Error{Op: op, StatusCode: re.StatusCode, Msg: msg, Err: err}
}
