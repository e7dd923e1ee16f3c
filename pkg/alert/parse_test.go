package alert

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantIs  error
		wantAs  any
		wantMsg string
	}{
		{"not json", `hello`, ErrMalformed, nil, "not JSON"},
		{"array", `[1,2]`, ErrMalformed, nil, "not a JSON object"},
		{"trailing", `{} {}`, ErrMalformed, nil, "trailing data"},
		{"empty object", `{}`, nil, new(*UnknownShapeError), "tried azure-monitor-common, azure-monitor-metric-legacy"},
		{"unknown schemaId", `{"schemaId":"Contoso/Alert"}`, nil, new(*UnknownShapeError), `unknown schemaId "Contoso/Alert"`},
		{"common without essentials", `{"schemaId":"azureMonitorCommonAlertSchema","data":{}}`, nil, new(*FieldError), "data.essentials: required"},
		{"common bad status", `{"schemaId":"azuremonitorcommonalertschema","data":{"essentials":{"alertId":"a","monitorCondition":"Maybe","firedDateTime":"2020-01-01T00:00:00Z"}}}`, nil, new(*FieldError), `unknown status "Maybe"`},
		{"common bad time", `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"yesterday"}}}`, nil, new(*FieldError), `"yesterday" is not a timestamp`},
		{"common wrong type", `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":[]}}`, nil, new(*FieldError), "data.essentials"},
		{"alertmanager empty", `{"version":"4","status":"firing","alerts":[]}`, nil, new(*FieldError), "alerts: required"},
		{"classic no id", `{"status":"Activated","context":{"name":"n","timestamp":"2015-08-14T22:26:41Z"}}`, nil, new(*FieldError), "context.id: required"},
		{"too large", `{"a":"` + strings.Repeat("x", MaxPayloadSize) + `"}`, ErrMalformed, nil, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.data))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", a)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			switch target := tt.wantAs.(type) {
			case **UnknownShapeError:
				if !errors.As(err, target) {
					t.Errorf("error %T is not *UnknownShapeError", err)
				}
			case **FieldError:
				if !errors.As(err, target) {
					t.Errorf("error %T is not *FieldError", err)
				}
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDetectVariants(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`{"data":{"AlertRuleName":"r","SearchIntervalEndtimeUtc":"2018-03-26T09:10:40Z"}}`, SourceAzureLogLegacy},
		{`{"AlertRuleName":"r","SearchIntervalEndtimeUtc":"2018-03-26T09:10:40Z","Severity":"Warning"}`, SourceAzureLogLegacy},
		{`{"SCHEMAID":"microsoft.insights/activitylogs","data":{"status":"Activated","context":{"activityLog":{"eventDataId":"e","submissionTimestamp":"2018-09-04T23:11:06.1607287+00:00","level":3}}}}`, SourceAzureActivityLog},
		{`{"alerts":[{"startsAt":"2021-10-12T09:51:03+02:00","values":{"A":1}}],"status":"firing"}`, SourceGrafana},
	} {
		a, err := Parse([]byte(tc.data))
		if err != nil || a.Source != tc.want {
			t.Errorf("%s: %+v, %v", tc.data, a, err)
		}
	}
	a, _ := Parse([]byte(`{"SCHEMAID":"microsoft.insights/activitylogs","data":{"status":"Activated","context":{"activityLog":{"eventDataId":"e","submissionTimestamp":"2018-09-04T23:11:06.1607287+00:00","level":3}}}}`))
	if a == nil || a.Severity != "3" || a.FiredAt != "2018-09-04T23:11:06.1607287+00:00" {
		t.Errorf("numeric level / submission time: %+v", a)
	}
}

func TestParseAsUnknownSource(t *testing.T) {
	_, err := ParseAs("nagios", []byte(`{}`))
	if !errors.Is(err, ErrUnknownSource) {
		t.Fatalf("got %v", err)
	}
}

func TestGroupMixedStatusAndLocaleTime(t *testing.T) {
	a, err := Parse([]byte(`{"version":"4","groupKey":"g","status":"firing","commonLabels":{"alertname":"x"},
		"alerts":[{"status":"resolved","labels":{"alertname":"x"},"startsAt":"2020-01-01T00:00:02Z","fingerprint":"f1"},
		{"labels":{"alertname":"x","severity":"page"},"startsAt":"2020-01-01T00:00:01+01:00"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Alerts[0].Status != StatusResolved || a.Alerts[1].Status != StatusFired {
		t.Errorf("entry statuses %q %q", a.Alerts[0].Status, a.Alerts[1].Status)
	}
	if a.FiredAt != "2020-01-01T00:00:01+01:00" {
		t.Errorf("FiredAt %q, want the earliest startsAt", a.FiredAt)
	}
	c, err := Parse([]byte(`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","monitorCondition":"Fired","firedDateTime":"3/22/2019 1:36:31 PM"},
		"alertContext":{"condition":{"allOf":[{"dimensions":[{"name":"Instance","value":"RD0003FF"}]}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.FiredTime.Hour() != 13 || c.FiredAt != "3/22/2019 1:36:31 PM" {
		t.Errorf("locale time: %v %q", c.FiredTime, c.FiredAt)
	}
	if v, ok := c.Dimension("instance"); !ok || v != "RD0003FF" {
		t.Errorf("Instance dimension = %q, %v", v, ok)
	}
}
