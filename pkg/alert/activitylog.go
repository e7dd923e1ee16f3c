package alert

// parseActivityLog parses a legacy activity-log alert
// (schemaId Microsoft.Insights/activityLogs): administrative, policy,
// autoscale, security, resource health and service health events. The
// payload names no rule and no severity; the event's level stands in for
// severity, and eventDataId (unique per event) is the alert id.
func parseActivityLog(data []byte) (*Alert, error) {
	const src = SourceAzureActivityLog
	type activityData struct {
		dataStatus
		Context *struct {
			ActivityLog *struct {
				EventDataID    flexString `json:"eventDataId"`
				EventTimestamp flexString `json:"eventTimestamp"`
				SubmissionTime flexString `json:"submissionTimestamp"`
				Level          flexString `json:"level"`
				ResourceID     flexString `json:"resourceId"`
				Description    flexString `json:"description"`
				OperationName  flexString `json:"operationName"`
				EventSource    flexString `json:"eventSource"`
				Status         flexString `json:"status"`
				Properties     flexMap    `json:"properties"`
			} `json:"activityLog"`
		} `json:"context"`
		Properties flexMap `json:"properties"`
	}
	d, status, err := decodeData(src, data, func(d *activityData) error {
		if d.Context == nil || d.Context.ActivityLog == nil {
			return &FieldError{Source: src, Field: "data.context.activityLog", Msg: "required"}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	l := d.Context.ActivityLog
	if l.EventDataID == "" {
		return nil, &FieldError{Source: src, Field: "data.context.activityLog.eventDataId", Msg: "required"}
	}
	at, atField := l.EventTimestamp, "data.context.activityLog.eventTimestamp"
	if at == "" && l.SubmissionTime != "" {
		at, atField = l.SubmissionTime, "data.context.activityLog.submissionTimestamp"
	}
	fired, err := firedTime(src, atField, string(at))
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range d.Properties {
		labels[k] = v
	}
	for k, v := range map[string]flexString{"operationName": l.OperationName, "eventSource": l.EventSource} {
		if v != "" {
			labels[k] = string(v)
		}
	}
	return &Alert{
		Source: src, Status: status, Severity: string(l.Level), AlertID: string(l.EventDataID),
		FiredAt: fired.raw, FiredTime: fired.t, ResourceIDs: nonNil([]string{string(l.ResourceID)}),
		Description: string(l.Description), Labels: labels,
	}, nil
}
