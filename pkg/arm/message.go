package arm

import (
	"encoding/json"
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
