package alert

// decodeCommonFast decodes a common-schema payload into p without
// reflection, for the plain payloads Azure sends: keys and strings without
// escapes, no repeated members, every known member of the type the schema
// gives it. It returns false, leaving p in an undefined state, for
// anything else (invalid JSON included), and the caller decodes with
// encoding/json instead: the result when it returns true is exactly
// encoding/json's (commonfast_test.go checks this on the fixtures and
// fuzzed input), it only gets there faster.
func decodeCommonFast(data []byte, p *commonPayload[*commonContext]) bool {
	r := fastReader{data: data}
	r.space()
	ok := r.object(func(key []byte) bool {
		switch {
		case fieldIs(key, "schemaId"):
			s, ok := r.plainString()
			p.SchemaID = s
			return ok
		case fieldIs(key, "data"):
			return r.commonData(p)
		}
		return r.skip()
	})
	r.space()
	return ok && r.i == len(r.data)
}

func (r *fastReader) commonData(p *commonPayload[*commonContext]) bool {
	if r.null() {
		p.Data = nil
		return true
	}
	d := &p.Data
	*d = new(commonData[*commonContext])
	data := *d
	return r.object(func(key []byte) bool {
		switch {
		case fieldIs(key, "essentials"):
			if r.null() {
				data.Essentials = nil
				return true
			}
			data.Essentials = new(commonEssentials)
			e := data.Essentials
			return r.object(func(key []byte) bool {
				switch {
				case fieldIs(key, "alertId"):
					return r.flexString(&e.AlertID)
				case fieldIs(key, "alertRule"):
					return r.flexString(&e.AlertRule)
				case fieldIs(key, "severity"):
					return r.flexString(&e.Severity)
				case fieldIs(key, "signalType"):
					return r.flexString(&e.SignalType)
				case fieldIs(key, "monitorCondition"):
					return r.flexString(&e.MonitorCondition)
				case fieldIs(key, "monitoringService"):
					return r.flexString(&e.MonitoringService)
				case fieldIs(key, "alertTargetIDs"):
					return r.flexStrings(&e.AlertTargetIDs)
				case fieldIs(key, "firedDateTime"):
					return r.flexString(&e.FiredDateTime)
				case fieldIs(key, "resolvedDateTime"):
					return r.flexString(&e.ResolvedDateTime)
				case fieldIs(key, "description"):
					return r.flexString(&e.Description)
				}
				return r.skip()
			})
		case fieldIs(key, "alertContext"):
			if r.null() {
				data.AlertContext = nil
				return true
			}
			data.AlertContext = new(commonContext)
			return r.commonContext(data.AlertContext)
		case fieldIs(key, "customProperties"):
			return r.flexMap(&data.CustomProperties)
		}
		return r.skip()
	})
}

func (r *fastReader) commonContext(c *commonContext) bool {
	return r.object(func(key []byte) bool {
		switch {
		case fieldIs(key, "properties"):
			return r.flexMap(&c.Properties)
		case fieldIs(key, "labels"):
			return r.flexMap(&c.Labels)
		case fieldIs(key, "annotations"):
			return r.flexMap(&c.Annotations)
		case fieldIs(key, "condition"):
			if r.null() {
				c.Condition = nil
				return true
			}
			c.Condition = new(commonCondition)
			cond := c.Condition
			return r.object(func(key []byte) bool {
				if !fieldIs(key, "allOf") {
					return r.skip()
				}
				if r.null() {
					cond.AllOf = nil
					return true
				}
				cond.AllOf = []commonCriterion{} // non-nil even when empty, as encoding/json leaves it
				return r.array(func() bool {
					cond.AllOf = append(cond.AllOf, commonCriterion{})
					crit := &cond.AllOf[len(cond.AllOf)-1]
					return r.object(func(key []byte) bool {
						if !fieldIs(key, "dimensions") {
							return r.skip()
						}
						return r.dimensions(&crit.Dimensions)
					})
				})
			})
		case fieldIs(key, "dimensions"):
			return r.dimensions(&c.Dimensions)
		}
		return r.skip()
	})
}

func (r *fastReader) dimensions(out *[]dimension) bool {
	if r.null() {
		*out = nil
		return true
	}
	*out = []dimension{} // non-nil even when empty, as encoding/json leaves it
	return r.array(func() bool {
		*out = append(*out, dimension{})
		d := &(*out)[len(*out)-1]
		return r.object(func(key []byte) bool {
			switch {
			case fieldIs(key, "name"):
				return r.flexString(&d.Name)
			case fieldIs(key, "value"):
				return r.flexString(&d.Value)
			}
			return r.skip()
		})
	})
}

// flexString reads a value as flexString.UnmarshalJSON would receive and
// store it: plain strings, null, and anything else as its raw text.
func (r *fastReader) flexString(f *flexString) bool {
	if r.i < len(r.data) && r.data[r.i] == '"' {
		s, ok := r.plainString()
		*f = flexString(s)
		return ok
	}
	if r.null() {
		*f = ""
		return true
	}
	start := r.i
	if !r.skip() {
		return false
	}
	*f = flexString(r.data[start:r.i])
	return true
}

// flexStrings reads a value as flexStrings.UnmarshalJSON would.
func (r *fastReader) flexStrings(f *flexStrings) bool {
	if r.i < len(r.data) && r.data[r.i] == '[' {
		out := make([]string, 0, 1)
		ok := r.array(func() bool {
			var s flexString
			if !r.flexString(&s) {
				return false
			}
			if s != "" {
				out = append(out, string(s))
			}
			return true
		})
		*f = out
		return ok
	}
	var s flexString
	if !r.flexString(&s) {
		return false
	}
	if s == "" {
		*f = nil
	} else {
		*f = []string{string(s)}
	}
	return true
}

// flexMap reads a value as flexMap.UnmarshalJSON would: an object's
// members as flexStrings (a repeated key keeps its last value), anything
// else as nil.
func (r *fastReader) flexMap(f *flexMap) bool {
	if r.i >= len(r.data) || r.data[r.i] != '{' {
		*f = nil
		return r.skip()
	}
	out := flexMap{}
	ok := r.objectOf(false, func(key []byte) bool {
		var v flexString
		if !r.flexString(&v) {
			return false
		}
		out[string(key)] = string(v)
		return true
	})
	if ok {
		*f = out
	}
	return ok
}
